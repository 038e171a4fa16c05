using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// Connections for the host's own tables, through the engine's <see cref="SqliteDatabase"/>: the same file as the
/// runtime and the CLI (WAL, busy timeout, foreign keys), so definitions, instances, schedules and VM locks live together.
/// </summary>
public sealed class HostDatabase(SqliteDatabase database)
{
    /// <summary>The full path of the SQLite file.</summary>
    public string Path => database.Path;

    /// <summary>Opens a configured connection (the engine's schema is migrated on first use).</summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenAsync(cancellationToken);

    /// <summary>Migrates a schema of the host's (after the engine's); returns the version reached.</summary>
    public Task<int> MigrateAsync(SchemaMigrations schema, CancellationToken cancellationToken) => database.MigrateAsync(schema, cancellationToken);
}
