using System.Data.Common;
using Dapper;
using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>
/// The SQLite file: WAL (set before the first migration), a busy timeout so concurrent writers wait instead of failing,
/// foreign keys on, and <c>synchronous=NORMAL</c> (with WAL a commit survives a process crash; only a power loss can
/// drop the last commits). Write transactions are <c>BEGIN IMMEDIATE</c> (<see cref="SqliteSchemaDialect"/>).
/// </summary>
public sealed class SqliteDatabase : StoreDatabase
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    /// <summary>Creates the database accessor for <paramref name="path"/> (the file and its folder are created on first use).</summary>
    public SqliteDatabase(string path, ILogger<SqliteDatabase> logger, TimeSpan? busyTimeout = null)
        : this(path, logger, EngineSchema.Migrations, busyTimeout) { }

    internal SqliteDatabase(string path, ILogger logger, SchemaMigrations engineSchema, TimeSpan? busyTimeout = null)
        : base(new SqliteSchemaDialect(), engineSchema, logger)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("The database path is empty: pass --db, set ELSA_MIGRATION_DB, or configure MigrationEngineOptions.DatabasePath.", nameof(path));
        Path = System.IO.Path.GetFullPath(path);
        _busyTimeoutMs = (int)(busyTimeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = Math.Max(1, _busyTimeoutMs / 1000),
        }.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    public override DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public override string Display => Path;

    public override string SideFilesPath => Path;

    private protected override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        CreatePrivately();
        await using var connection = await OpenConnectionAsync(cancellationToken);
        // WAL is a property of the file: set once, it stays. Readers then never block the writer.
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates a missing folder 0700 and a missing database file 0600 before SQLite opens it: the file holds
    /// definitions, inputs and journals, and SQLite gives its <c>-wal</c> and <c>-shm</c> files the database file's
    /// mode. Existing folders and files keep theirs (a folder such as /tmp, or a file shared with a group on purpose).
    /// </summary>
    private void CreatePrivately()
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (OperatingSystem.IsWindows())
        {
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
            return;
        }
        // Each missing level is created 0700 (Directory.CreateDirectory's mode applies to the last level only).
        var missing = new Stack<string>();
        for (var d = directory; !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = System.IO.Path.GetDirectoryName(d))
            missing.Push(d);
        while (missing.TryPop(out var level))
            Directory.CreateDirectory(level, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            // An empty file is a valid new database for SQLite.
            using var created = new FileStream(Path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(Path))
        {
            // It exists already (or another process created it a moment ago).
        }
    }

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                $"PRAGMA busy_timeout = {_busyTimeoutMs}; PRAGMA synchronous = NORMAL;", cancellationToken: cancellationToken));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
