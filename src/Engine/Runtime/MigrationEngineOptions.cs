using System.Reflection;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>Settings of the engine (<c>services.AddMigrationEngine(o => ...)</c>).</summary>
public sealed class MigrationEngineOptions
{
    /// <summary>The SQLite file, or a PostgreSQL connection string (<c>Host=...;Database=...</c>). Default: <see cref="DefaultDatabasePath"/>.</summary>
    public string DatabasePath { get; set; } = DefaultDatabasePath();

    /// <summary>Assemblies scanned for activities, besides the built-in Elsa activities.</summary>
    public List<Assembly> ActivityAssemblies { get; } = [];

    /// <summary>At most one journaled progress line per subject and activity execution per interval (live observers see every report).</summary>
    public TimeSpan ProgressJournalInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many activity executions per instance (children inside containers included). A flowchart
    /// that loops without an exit faults with a message naming the loop instead of growing its journal forever.</summary>
    public long MaxActivityExecutions { get; set; } = 100_000;

    /// <summary>How often the timer scheduler looks at the database even when it knows of no earlier timer
    /// (picks up timers that another process stored).</summary>
    public TimeSpan TimerPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True (the server): resume every due timer in the database. False (the CLI's <c>run</c>): only
    /// timers of instances this process started or loaded, so a CLI run never takes over the server's instances.</summary>
    public bool ResumeTimersOfAllInstances { get; set; } = true;

    /// <summary>How often a process that executes instances renews its leases on them (and its <c>runtime_hosts</c> row).</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a lease holds without renewal: another process's recovery takes an instance whose holder has
    /// not renewed for this long. Keep it several renewal intervals, so a slow renewal does not lose an instance.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The database path when none is configured: <c>$ELSA_MIGRATION_DB</c>, else
    /// <c>${XDG_DATA_HOME:-~/.local/share}/elsa-migration/state.db</c> (the CLI and the server use the same default).
    /// </summary>
    public static string DefaultDatabasePath()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("ELSA_MIGRATION_DB");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return fromEnvironment;
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(dataHome))
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "elsa-migration", "state.db");
    }
}
