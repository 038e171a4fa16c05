using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Server;

/// <summary>Where the SQLite file is. The CLI and <c>serve</c> use the same file, so both see the same definitions,
/// instances, schedules and VM locks.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Path of the SQLite file (created when missing).</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>The CLI's default: <c>.elsa-migrate/elsa-migrate.db</c> under the working directory.</summary>
    public static string DefaultPath => System.IO.Path.Combine(Environment.CurrentDirectory, ".elsa-migrate", "elsa-migrate.db");
}

/// <summary>Opens connections to the host's SQLite file (WAL, busy timeout), for the host's own tables.</summary>
public sealed class HostDatabase(IOptions<DatabaseOptions> options)
{
    /// <summary>The full path of the SQLite file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(options.Value.Path);

    /// <summary>Opens a connection; every connection waits up to 10 s for a writer instead of failing with SQLITE_BUSY.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 10,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
