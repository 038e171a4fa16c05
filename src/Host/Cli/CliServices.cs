using System.CommandLine;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence.PostgreSql;
using Elsa.Migration.Host.Sites;

namespace Elsa.Migration.Host.Cli;

/// <summary>The services a CLI command uses: the engine with the VmMigration activities over the chosen database, the
/// registered sites, logs on stderr (warnings and up).</summary>
internal static class CliServices
{
    /// <summary>The <c>--db</c> option (recursive: every command accepts it).</summary>
    public static Option<string?> CreateDatabaseOption()
    {
        var option = new Option<string?>("--db")
        {
            Description = "The SQLite database file, or a PostgreSQL connection string (Host=...;Database=...;Username=...;Password=...). " +
                          "Default: $ELSA_MIGRATION_DB, else ${XDG_DATA_HOME:-~/.local/share}/elsa-migration/state.db.",
            Recursive = true,
        };
        // A bad connection string is a usage error, named before any command runs.
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && PostgreSqlConnectionString.IsConnectionString(value))
            {
                try
                {
                    PostgreSqlConnectionString.Parse(value);
                }
                catch (ArgumentException e)
                {
                    result.AddError(e.Message);
                }
            }
        });
        return option;
    }

    /// <summary>
    /// The same check for <c>$ELSA_MIGRATION_DB</c> when <c>--db</c> is not given (on every command, the one invoked
    /// validates: an option's validators run only when it is given), so a bad connection string there is a usage
    /// error, not a stack trace. Call it once every command is added.
    /// </summary>
    public static void CheckEnvironmentDatabase(Command command, Option<string?> database)
    {
        foreach (var sub in command.Subcommands) CheckEnvironmentDatabase(sub, database);
        command.Validators.Add(result =>
        {
            if (result.GetResult(database) is not null
                || Environment.GetEnvironmentVariable("ELSA_MIGRATION_DB") is not { Length: > 0 } value
                || !PostgreSqlConnectionString.IsConnectionString(value))
                return;
            try
            {
                PostgreSqlConnectionString.Parse(value);
            }
            catch (ArgumentException e)
            {
                result.AddError($"$ELSA_MIGRATION_DB: {e.Message}");
            }
        });
    }

    /// <summary>Builds the engine services for <paramref name="databasePath"/> (null: the default path).</summary>
    /// <param name="databasePath">The SQLite file or PostgreSQL connection string; null for the default.</param>
    /// <param name="resumeAllTimers">False for one-shot commands: resume only timers of instances this process runs.</param>
    public static ServiceProvider Build(string? databasePath, bool resumeAllTimers = false) =>
        Create(databasePath, resumeAllTimers).BuildServiceProvider();

    /// <summary>The collection <see cref="Build"/> builds, for commands that add the host's tables to it.</summary>
    public static IServiceCollection Create(string? databasePath, bool resumeAllTimers = false) =>
        new ServiceCollection()
            .AddLogging(logging => logging
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                // Colours are ANSI sequences, which the CLI's control-character escaping (CliConsole) would print as text.
                .AddSimpleConsole(o => o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled)
                .SetMinimumLevel(LogLevel.Warning))
            .AddMigrationRuntime(databasePath, o => o.ResumeTimersOfAllInstances = resumeAllTimers)
            // Procedures read registered sites from the same database (Sites__Default in the environment names the default).
            .AddSites(new ConfigurationBuilder().AddEnvironmentVariables().Build());
}
