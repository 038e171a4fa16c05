using Dapper;
using Elsa.Migration.Engine.Persistence.PostgreSql;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>The engine's PostgreSQL scripts on a real server, and how a database setting picks the engine.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlSchemaTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _db = "";

    public async Task InitializeAsync() => _db = await server.CreateDatabaseAsync();

    public Task DisposeAsync() => server.DropDatabaseAsync(_db);

    [Fact]
    public async Task Processes_migrating_a_new_database_at_once_apply_each_script_once()
    {
        var versions = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => new PostgreSqlDatabase(_db, NullLogger<PostgreSqlDatabase>.Instance).MigrateAsync(CancellationToken.None))));

        Assert.All(versions, v => Assert.Equal(PostgreSqlEngineSchema.Migrations.Newest, v));
        var database = new PostgreSqlDatabase(_db, NullLogger<PostgreSqlDatabase>.Instance);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        Assert.Equal(PostgreSqlEngineSchema.Migrations.Scripts.Select(s => (s.Version, s.Description)),
            await connection.QueryAsync<(int, string)>("SELECT version, description FROM schema_version ORDER BY version"));
        // The same tables and columns as SQLite's scripts leave.
        var columns = await connection.QueryAsync<string>(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'ledger' ORDER BY ordinal_position");
        Assert.Equal(["ledger.id", "ledger.instance_id", "ledger.activity_id", "ledger.kind", "ledger.node", "ledger.name", "ledger.details",
            "ledger.created_at", "ledger.released_at", "ledger.confirmed_at"], columns);
    }

    [Fact]
    public void A_setting_is_a_postgresql_connection_string_when_it_starts_with_a_keyword_else_a_sqlite_file()
    {
        Assert.IsType<PostgreSqlDatabase>(StoreDatabase.For(_db, NullLoggerFactory.Instance));
        Assert.IsType<PostgreSqlDatabase>(StoreDatabase.For("Host=/run/postgresql;Database=elsa", NullLoggerFactory.Instance));
        Assert.IsType<SqliteDatabase>(StoreDatabase.For("/var/lib/elsa/a=b.db", NullLoggerFactory.Instance));
        Assert.IsType<SqliteDatabase>(StoreDatabase.For("state.db", NullLoggerFactory.Instance));
        var unknown = Assert.Throws<ArgumentException>(() => StoreDatabase.For("Host=x;Pasword=secret", NullLoggerFactory.Instance));
        Assert.Contains("'pasword'", unknown.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", unknown.Message);
        Assert.Contains("names no Host", Assert.Throws<ArgumentException>(() => StoreDatabase.For("Database=elsa", NullLoggerFactory.Instance)).Message);
    }
}
