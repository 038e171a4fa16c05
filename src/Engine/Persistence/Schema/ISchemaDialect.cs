using System.Data.Common;

namespace Elsa.Migration.Engine.Persistence.Schema;

/// <summary>
/// What <see cref="SchemaMigrator"/> needs from a database engine. SQLite is the one there is
/// (<see cref="Sqlite.SqliteSchemaDialect"/>); another engine brings its own dialect and its own numbered scripts.
/// </summary>
internal interface ISchemaDialect
{
    /// <summary>Creates the version table (version, description, applied_at) when it is missing, or brings an older layout of it up to date.</summary>
    Task EnsureVersionTableAsync(DbConnection connection, string versionTable, CancellationToken cancellationToken);

    /// <summary>Begins a transaction that holds the database's write lock from its first statement, so two processes
    /// starting at once read the same version and apply each script once.</summary>
    Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken);
}
