using Elsa.Migration.Engine.Persistence.Schema;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// The host's own tables (API tokens, schedules and their runs, VM locks, sites, link rates), created by numbered scripts recorded in
/// <c>host_schema_version</c>. They live in the same database as the runtime's tables but are versioned separately,
/// so the runtime's schema migrations and ours never step on each other. The engine's migrator applies them: SQLite's
/// scripts (<see cref="Migrations"/>) or PostgreSQL's (<see cref="PostgreSqlMigrations"/>, same tables and columns, with
/// the types the engine's PostgreSQL schema explains: BIGINT integers, fixed-width UTC text timestamps, "C" collation).
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
        new(6, "host_schedule_fires: the host that claimed each fire time of a schedule, so several hosts on one database start it once", """
        CREATE TABLE host_schedule_fires (
            schedule_id TEXT NOT NULL,
            scheduled_for TEXT NOT NULL,
            host TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            PRIMARY KEY (schedule_id, scheduled_for));
        """),
        new(7, "host_schedule_fires.holder: the runtime host (runtime_hosts id) that claimed a fire time and has not recorded it yet, so a live host re-claims it when that host is gone", """
        ALTER TABLE host_schedule_fires ADD COLUMN holder TEXT NULL;
        CREATE INDEX ix_host_schedule_fires_pending ON host_schedule_fires(holder) WHERE holder IS NOT NULL;
        """),
    ]);

    /// <summary>The host's tables in PostgreSQL (version 1 is SQLite's 1 to 5). Never edit a released script: add the next version.</summary>
    public static SchemaMigrations PostgreSqlMigrations { get; } = new("host_schema_version",
    [
        new(1, "API tokens (hashed), schedules, schedule runs, VM locks, sites, link rates", """
        CREATE TABLE host_api_tokens (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL,
            sha256 TEXT COLLATE "C" NOT NULL UNIQUE,
            created_at TEXT COLLATE "C" NOT NULL,
            expires_at TEXT COLLATE "C" NULL,
            revoked_at TEXT COLLATE "C" NULL);
        CREATE TABLE host_schedules (
            id TEXT COLLATE "C" PRIMARY KEY,
            definition_id TEXT COLLATE "C" NOT NULL,
            inputs_json TEXT COLLATE "C" NOT NULL,
            kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('Once', 'Cron')),
            fire_at TEXT COLLATE "C" NULL,
            cron TEXT COLLATE "C" NULL,
            time_zone TEXT COLLATE "C" NULL,
            misfire TEXT COLLATE "C" NOT NULL CHECK (misfire IN ('Skip', 'RunIfLate')),
            misfire_window_seconds BIGINT NOT NULL DEFAULT 0,
            created_at TEXT COLLATE "C" NOT NULL,
            last_fire_time TEXT COLLATE "C" NULL,
            completed BIGINT NOT NULL DEFAULT 0,
            broken_reason TEXT COLLATE "C" NULL);
        CREATE TABLE host_schedule_runs (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            schedule_id TEXT COLLATE "C" NOT NULL,
            scheduled_for TEXT COLLATE "C" NOT NULL,
            happened_at TEXT COLLATE "C" NOT NULL,
            outcome TEXT COLLATE "C" NOT NULL,
            instance_id TEXT COLLATE "C" NULL,
            message TEXT COLLATE "C" NULL);
        CREATE INDEX ix_host_schedule_runs_schedule ON host_schedule_runs(schedule_id);
        CREATE TABLE host_vm_locks (
            vm_id TEXT COLLATE "C" PRIMARY KEY,
            instance_id TEXT COLLATE "C" NOT NULL,
            nodes TEXT COLLATE "C" NOT NULL,
            started_by TEXT COLLATE "C" NOT NULL,
            acquired_at TEXT COLLATE "C" NOT NULL);
        CREATE INDEX ix_host_vm_locks_instance ON host_vm_locks(instance_id);
        CREATE TABLE host_sites (
            name TEXT COLLATE "C" NOT NULL,
            version BIGINT NOT NULL,
            inventory_json TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (name, version));
        CREATE TABLE host_link_rates (
            source_node TEXT COLLATE "C" NOT NULL,
            target_node TEXT COLLATE "C" NOT NULL,
            bytes_per_second DOUBLE PRECISION NOT NULL,
            measured_at TEXT COLLATE "C" NOT NULL,
            instance_id TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (source_node, target_node));
        """),
        new(2, "host_schedule_fires: the host that claimed each fire time of a schedule (SQLite's 6)", """
        CREATE TABLE host_schedule_fires (
            schedule_id TEXT COLLATE "C" NOT NULL,
            scheduled_for TEXT COLLATE "C" NOT NULL,
            host TEXT COLLATE "C" NOT NULL,
            claimed_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (schedule_id, scheduled_for));
        """),
        new(3, "host_schedule_fires.holder: the runtime host that claimed a fire time and has not recorded it yet (SQLite's 7)", """
        ALTER TABLE host_schedule_fires ADD COLUMN holder TEXT COLLATE "C" NULL;
        CREATE INDEX ix_host_schedule_fires_pending ON host_schedule_fires(holder) WHERE holder IS NOT NULL;
        """),
    ]);

    /// <summary>Both engines' scripts.</summary>
    public static SchemaVariants Variants { get; } = new(Migrations, PostgreSqlMigrations);

    /// <summary>Applies the scripts not yet applied, each in its own transaction.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken) => database.MigrateAsync(Variants, cancellationToken);
}

/// <summary>Creates the host's tables before anything else starts (registered first among hosted services).</summary>
public sealed class HostSchemaInitializer(HostSchema schema) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => schema.EnsureAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
