using System.Data.Common;
using Elsa.Migration.Engine.Persistence.Schema;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>Which database engine a <see cref="StoreDatabase"/> talks to.</summary>
public enum DatabaseEngine
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The database every store works on, SQLite (<see cref="Sqlite.SqliteDatabase"/>) or PostgreSQL
/// (<see cref="PostgreSql.PostgreSqlDatabase"/>): opens connections, migrates schemas (the engine's on first use) and
/// begins write transactions that serialise writers as SQLite's <c>BEGIN IMMEDIATE</c> does. The stores are written once
/// against this class; what differs between the engines sits in the subclasses and their <see cref="ISchemaDialect"/>.
/// </summary>
public abstract class StoreDatabase
{
    private readonly SchemaMigrations _engineSchema;
    private readonly SchemaMigrator _migrator;
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private volatile bool _migrated;

    // Every store's connection comes from here, so Dapper's mapping is in place before any query.
    static StoreDatabase() => DapperMapping.Register();

    private protected StoreDatabase(ISchemaDialect dialect, SchemaMigrations engineSchema, ILogger logger)
    {
        Dialect = dialect;
        _engineSchema = engineSchema;
        _migrator = new SchemaMigrator(dialect, logger);
    }

    /// <summary>Which engine this is (a schema with a variant per engine picks its own).</summary>
    public abstract DatabaseEngine Engine { get; }

    /// <summary>What the database is, for operators: the SQLite file, or PostgreSQL's host, port and database (never a password).</summary>
    public abstract string Display { get; }

    /// <summary>Where files that belong with this database are written, as a path without extension (the host's
    /// <c>.token</c> file): the SQLite file itself, or a file per PostgreSQL database in the local data folder.</summary>
    public abstract string SideFilesPath { get; }

    internal ISchemaDialect Dialect { get; }

    /// <summary>
    /// The database a setting names (<c>--db</c>, <c>Database:ConnectionString</c>): a PostgreSQL connection string
    /// (<c>Host=...;Database=...</c>, <see cref="PostgreSql.PostgreSqlConnectionString"/>) or else a SQLite file path.
    /// </summary>
    public static StoreDatabase For(string setting, ILoggerFactory loggers) =>
        PostgreSql.PostgreSqlConnectionString.IsConnectionString(setting)
            ? new PostgreSql.PostgreSqlDatabase(setting, loggers.CreateLogger<PostgreSql.PostgreSqlDatabase>())
            : new Sqlite.SqliteDatabase(setting, loggers.CreateLogger<Sqlite.SqliteDatabase>());

    /// <summary>Opens a connection; the first call migrates the engine's schema.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_migrated)
            await MigrateAsync(cancellationToken);
        return await OpenConnectionAsync(cancellationToken);
    }

    /// <summary>Begins a transaction that no other writer of the database runs beside (check-then-write stays atomic).</summary>
    public Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Dialect.BeginExclusiveAsync(connection, cancellationToken);

    /// <summary>Migrates the engine's schema to the newest version (idempotent); returns that version.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await _migrateGate.WaitAsync(cancellationToken);
        try
        {
            await PrepareAsync(cancellationToken);
            await using var connection = await OpenConnectionAsync(cancellationToken);
            var version = await _migrator.MigrateAsync(connection, _engineSchema, cancellationToken);
            _migrated = true;
            return version;
        }
        finally
        {
            _migrateGate.Release();
        }
    }

    /// <summary>Migrates another schema kept in this database (the engine's first); returns the version reached.</summary>
    public async Task<int> MigrateAsync(SchemaMigrations schema, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await _migrator.MigrateAsync(connection, schema, cancellationToken);
    }

    /// <summary>Migrates this engine's variant of a schema.</summary>
    public Task<int> MigrateAsync(SchemaVariants schema, CancellationToken cancellationToken) =>
        MigrateAsync(schema.For(Engine), cancellationToken);

    /// <summary>What must be in place before the first connection migrates (SQLite: the private file, WAL).</summary>
    private protected virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Opens a configured connection without migrating.</summary>
    private protected abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);
}
