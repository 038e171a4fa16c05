using System.Data.Common;
using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sql;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// Connections for the host's own tables, through the engine's <see cref="StoreDatabase"/>: the same database as the
/// runtime and the CLI (a SQLite file or PostgreSQL), so definitions, instances, schedules and VM locks live together.
/// </summary>
public sealed class HostDatabase(StoreDatabase database)
{
    /// <summary>Where files belonging with the database go, without extension (<c>&lt;this&gt;.token</c>).</summary>
    public string SideFilesPath => database.SideFilesPath;

    /// <summary>What the database is, for operators (never a password).</summary>
    public string Display => database.Display;

    /// <summary>Opens a connection (the engine's schema is migrated on first use).</summary>
    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenAsync(cancellationToken);

    /// <summary>Begins a transaction no other writer runs beside (SQLite: <c>BEGIN IMMEDIATE</c>; PostgreSQL: the database's write lock).</summary>
    public Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        database.BeginWriteAsync(connection, cancellationToken);

    /// <summary>Migrates this engine's variant of a schema of the host's (after the engine's); returns the version reached.</summary>
    public Task<int> MigrateAsync(SchemaVariants schema, CancellationToken cancellationToken) => database.MigrateAsync(schema, cancellationToken);
}
