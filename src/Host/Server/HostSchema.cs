using Elsa.Migration.Engine.Persistence.Schema;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// The host's own tables (API tokens, schedules and their runs, VM locks, sites, link rates), created by numbered scripts recorded in
/// <c>host_schema_version</c>. They live in the same SQLite file as the runtime's tables but are versioned separately,
/// so the runtime's schema migrations and ours never step on each other. The engine's migrator applies them.
/// </summary>
public sealed class HostSchema(HostDatabase database)
{
    /// <summary>Every migration of the host's tables, in order. Never edit a released script: add the next version.</summary>
    public static SchemaMigrations Migrations { get; } = new("host_schema_version",
    [
        new(1, "API tokens (hashed), schedules, schedule runs, VM locks", """
        CREATE TABLE host_api_tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL);
        CREATE TABLE host_schedules (
            id TEXT PRIMARY KEY,
            definition_id TEXT NOT NULL,
            inputs_json TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('Once', 'Cron')),
            fire_at TEXT NULL,
            cron TEXT NULL,
            time_zone TEXT NULL,
            misfire TEXT NOT NULL CHECK (misfire IN ('Skip', 'RunIfLate')),
            misfire_window_seconds INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            last_fire_time TEXT NULL,
            completed INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE host_schedule_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            schedule_id TEXT NOT NULL,
            scheduled_for TEXT NOT NULL,
            happened_at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            instance_id TEXT NULL,
            message TEXT NULL);
        CREATE INDEX ix_host_schedule_runs_schedule ON host_schedule_runs(schedule_id);
        CREATE TABLE host_vm_locks (
            vm_id TEXT PRIMARY KEY,
            instance_id TEXT NOT NULL,
            nodes TEXT NOT NULL,
            started_by TEXT NOT NULL,
            acquired_at TEXT NOT NULL);
        CREATE INDEX ix_host_vm_locks_instance ON host_vm_locks(instance_id);
        """),
        new(2, "host_schedules.broken_reason: a stored schedule the server cannot register (e.g. a cron that never fires) is marked, not fatal", """
        ALTER TABLE host_schedules ADD COLUMN broken_reason TEXT NULL;
        """),
        new(3, "host_api_tokens.expires_at, revoked_at: tokens expire and are revoked (the row stays, for `token list`)", """
        ALTER TABLE host_api_tokens ADD COLUMN expires_at TEXT NULL;
        ALTER TABLE host_api_tokens ADD COLUMN revoked_at TEXT NULL;
        """),
        new(4, "host_sites: registered sites (validated inventories), versioned like definitions: procedures name a site, never a file", """
        CREATE TABLE host_sites (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            inventory_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (name, version));
        """),
        new(5, "the rate each node pair's last migration achieved, for Preflight's time estimates (LinkRateStore)", """
        CREATE TABLE host_link_rates (
            source_node TEXT NOT NULL,
            target_node TEXT NOT NULL,
            bytes_per_second REAL NOT NULL,
            measured_at TEXT NOT NULL,
            instance_id TEXT NOT NULL,
            PRIMARY KEY (source_node, target_node));
        """),
    ]);

    /// <summary>Applies the scripts not yet applied, each in its own transaction.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken) => database.MigrateAsync(Migrations, cancellationToken);
}

/// <summary>Creates the host's tables before anything else starts (registered first among hosted services).</summary>
public sealed class HostSchemaInitializer(HostSchema schema) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => schema.EnsureAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
