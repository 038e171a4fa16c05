using System.CommandLine;
using System.Reflection;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Host.Cli;

/// <summary>The services a CLI command uses: the engine over the chosen database, logs on stderr (warnings and up).</summary>
internal static class CliServices
{
    /// <summary>The assemblies whose activities the CLI knows, besides Elsa's built-ins.</summary>
    public static IReadOnlyList<Assembly> ActivityAssemblies { get; } = [Assembly.Load(new AssemblyName("Elsa.Migration.Activities"))];

    /// <summary>The <c>--db</c> option (recursive: every command accepts it).</summary>
    public static Option<string?> CreateDatabaseOption() => new("--db")
    {
        Description = "The SQLite database file. Default: $ELSA_MIGRATION_DB, else ${XDG_DATA_HOME:-~/.local/share}/elsa-migration/state.db.",
        Recursive = true,
    };

    /// <summary>Builds the engine services for <paramref name="databasePath"/> (null: the default path).</summary>
    /// <param name="databasePath">The SQLite file; null for the default.</param>
    /// <param name="resumeAllTimers">False for one-shot commands: resume only timers of instances this process runs.</param>
    public static ServiceProvider Build(string? databasePath, bool resumeAllTimers = false) =>
        new ServiceCollection()
            .AddLogging(logging => logging
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(LogLevel.Warning))
            .AddMigrationEngine(o =>
            {
                if (!string.IsNullOrWhiteSpace(databasePath))
                    o.DatabasePath = databasePath;
                o.ResumeTimersOfAllInstances = resumeAllTimers;
                o.ActivityAssemblies.AddRange(ActivityAssemblies);
            })
            .AddVmMigration()
            .BuildServiceProvider();
}
