using Elsa.Migration.Engine.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>
/// One test's own empty database of either engine: a SQLite file in a new folder, or a new database on the collection's
/// <see cref="PostgreSqlServer"/>. Removed again on dispose.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    private readonly PostgreSqlServer? _server;
    private readonly string? _folder;

    private TestStore(DatabaseEngine engine, string setting, PostgreSqlServer? server, string? folder)
    {
        Engine = engine;
        Setting = setting;
        _server = server;
        _folder = folder;
        Database = StoreDatabase.For(setting, NullLoggerFactory.Instance);
    }

    /// <summary>The engine.</summary>
    public DatabaseEngine Engine { get; }

    /// <summary>What <c>--db</c> would take for it: the SQLite path or the PostgreSQL connection string.</summary>
    public string Setting { get; }

    /// <summary>The stores' database.</summary>
    public StoreDatabase Database { get; }

    /// <summary>A new database: SQLite needs no server, PostgreSQL the collection's.</summary>
    public static async Task<TestStore> CreateAsync(DatabaseEngine engine, PostgreSqlServer? server)
    {
        if (engine == DatabaseEngine.Sqlite)
        {
            var folder = Path.Combine(Path.GetTempPath(), "elsa-store-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(folder);
            return new TestStore(engine, Path.Combine(folder, "state.db"), null, folder);
        }
        var database = server ?? throw new ArgumentNullException(nameof(server), "A PostgreSQL test store needs the collection's PostgreSqlServer.");
        return new TestStore(engine, await database.CreateDatabaseAsync(), database, null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DropDatabaseAsync(Setting);
        if (_folder is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
    }
}

/// <summary>
/// A store test class that runs against each engine: derive it twice, <c>(null, DatabaseEngine.Sqlite)</c> and, in the
/// <see cref="PostgreSqlCollection"/>, <c>(server, DatabaseEngine.PostgreSql)</c>. Each test gets a fresh database.
/// </summary>
public abstract class StoreTestBase(PostgreSqlServer? server, DatabaseEngine engine) : IAsyncLifetime
{
    private TestStore? _store;

    /// <summary>This test's database.</summary>
    protected TestStore Store => _store ?? throw new InvalidOperationException("The test store is created in InitializeAsync.");

    /// <summary>This test's database as the stores take it.</summary>
    protected StoreDatabase Database => Store.Database;

    public async Task InitializeAsync() => _store = await TestStore.CreateAsync(engine, server);

    public async Task DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
    }
}
