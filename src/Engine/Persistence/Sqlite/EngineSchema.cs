using Elsa.Migration.Engine.Persistence.Schema;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>
/// The engine's tables in SQLite: numbered scripts recorded in <c>schema_version</c>. Never edit a released script: add
/// the next version (and PostgreSQL's, <see cref="PostgreSql.PostgreSqlEngineSchema"/>, when the change applies to both).
/// Timestamps are UTC ISO-8601 text with a fixed width (<see cref="Sql.DbTime"/>), so they compare and sort as text.
/// </summary>
internal static class EngineSchema
{
    /// <summary>Every migration of the engine's tables, in order.</summary>
    public static SchemaMigrations Migrations { get; } = new("schema_version",
    [
        new(1, "definitions, instances, bookmarks, journal, ledger", """
            CREATE TABLE definitions (
                definition_id TEXT    NOT NULL,
                version       INTEGER NOT NULL,
                name          TEXT    NOT NULL,
                is_latest     INTEGER NOT NULL,
                is_published  INTEGER NOT NULL,
                json          TEXT    NOT NULL,
                created_at    TEXT    NOT NULL,
                updated_at    TEXT    NOT NULL,
                PRIMARY KEY (definition_id, version)
            );
            CREATE INDEX ix_definitions_latest ON definitions (definition_id) WHERE is_latest = 1;

            -- The exact definition each instance runs, stored once per distinct JSON (by SHA-256) and kept out of the
            -- instance row, which is rewritten after every activity.
            CREATE TABLE definition_snapshots (
                hash TEXT NOT NULL PRIMARY KEY,
                json TEXT NOT NULL
            );

            CREATE TABLE instances (
                id                 TEXT    NOT NULL PRIMARY KEY,
                definition_id      TEXT    NOT NULL,
                definition_version INTEGER NOT NULL,
                definition_name    TEXT    NOT NULL,
                definition_hash    TEXT    NOT NULL REFERENCES definition_snapshots (hash),
                status             TEXT    NOT NULL,
                variables          TEXT    NOT NULL,
                inputs             TEXT    NOT NULL,
                state              TEXT    NOT NULL,
                error              TEXT    NULL,
                created_at         TEXT    NOT NULL,
                updated_at         TEXT    NOT NULL,
                finished_at        TEXT    NULL
            );
            CREATE INDEX ix_instances_status ON instances (status);
            CREATE INDEX ix_instances_created ON instances (created_at);

            CREATE TABLE bookmarks (
                id          TEXT NOT NULL PRIMARY KEY,
                instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
                activity_id TEXT NOT NULL,
                name        TEXT NOT NULL,
                payload     TEXT NULL,
                resume_at   TEXT NULL
            );
            CREATE INDEX ix_bookmarks_instance ON bookmarks (instance_id);
            CREATE INDEX ix_bookmarks_name ON bookmarks (name);
            CREATE INDEX ix_bookmarks_resume_at ON bookmarks (resume_at) WHERE resume_at IS NOT NULL;

            CREATE TABLE journal (
                id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                instance_id   TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
                at            TEXT    NOT NULL,
                kind          TEXT    NOT NULL,
                activity_id   TEXT    NULL,
                activity_type TEXT    NULL,
                outcome       TEXT    NULL,
                duration_ms   REAL    NULL,
                message       TEXT    NULL,
                data          TEXT    NULL
            );
            CREATE INDEX ix_journal_instance ON journal (instance_id, id);

            CREATE TABLE ledger (
                id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                instance_id TEXT    NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
                activity_id TEXT    NOT NULL,
                kind        TEXT    NOT NULL,
                node        TEXT    NOT NULL,
                name        TEXT    NOT NULL,
                details     TEXT    NULL,
                created_at  TEXT    NOT NULL,
                released_at TEXT    NULL
            );
            CREATE INDEX ix_ledger_instance ON ledger (instance_id, id);
            """),
        new(2, "instances.correlation_id (e.g. the VM a migration moves) and unreleased-ledger index", """
            ALTER TABLE instances ADD COLUMN correlation_id TEXT NULL;
            CREATE INDEX ix_instances_correlation ON instances (correlation_id) WHERE correlation_id IS NOT NULL;
            CREATE INDEX ix_ledger_unreleased ON ledger (instance_id) WHERE released_at IS NULL;
            """),
        new(3, "ledger.confirmed_at: the create succeeded (undo checks the ownership mark of unconfirmed entries)", """
            ALTER TABLE ledger ADD COLUMN confirmed_at TEXT NULL;
            """),
        new(4, "leases: runtime_hosts (each executing process) and instances.lease_holder/lease_expires_at", """
            CREATE TABLE runtime_hosts (
                id         TEXT    NOT NULL PRIMARY KEY,
                host_name  TEXT    NOT NULL,
                pid        INTEGER NOT NULL,
                started_at TEXT    NOT NULL,
                renewed_at TEXT    NOT NULL
            );
            ALTER TABLE instances ADD COLUMN lease_holder TEXT NULL;
            ALTER TABLE instances ADD COLUMN lease_expires_at TEXT NULL;
            CREATE INDEX ix_instances_lease_holder ON instances (lease_holder) WHERE lease_holder IS NOT NULL;
            """),
        new(5, "journal.host: the process (runtime_hosts id) that wrote each entry; null on older rows", """
            ALTER TABLE journal ADD COLUMN host TEXT NULL;
            """),
    ]);
}
