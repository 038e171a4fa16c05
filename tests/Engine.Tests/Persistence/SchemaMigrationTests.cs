using Dapper;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>Numbered schema migrations on new and existing database files.</summary>
public sealed class SchemaMigrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-schema-tests-" + Guid.NewGuid().ToString("N"));

    public SchemaMigrationTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Migrate_OnANewFile_ShouldReachTheNewestVersionInWalModeWithForeignKeys()
    {
        var database = new SqliteDatabase(Path.Combine(_directory, "sub", "new.db"), NullLogger<SqliteDatabase>.Instance);

        var version = await database.MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaScripts.All[^1].Version, version);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode;"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("PRAGMA foreign_keys;"));
        Assert.True(await connection.ExecuteScalarAsync<int>("PRAGMA busy_timeout;") >= 1000);
        Assert.Equal(SchemaScripts.All.Select(s => s.Version), await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version;"));
    }

    [Fact]
    public async Task Migrate_OnAnExistingVersion1Database_ShouldApplyOnlyNewerScriptsAndKeepTheData()
    {
        var path = Path.Combine(_directory, "old.db");
        var old = new SqliteDatabase(path, NullLogger.Instance, [.. SchemaScripts.All.Where(s => s.Version == 1)]);
        Assert.Equal(1, await old.MigrateAsync(CancellationToken.None));
        await using (var connection = await old.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("""
                INSERT INTO definition_snapshots (hash, json) VALUES ('h1', '{"definitionId":"d1"}');
                INSERT INTO instances (id, definition_id, definition_version, definition_name, definition_hash, status, variables, inputs, state, created_at, updated_at)
                VALUES ('i1', 'd1', 1, 'Old', 'h1', 'Suspended', '{"x":1}', '{}', '{}', '2024-01-01T00:00:00.0000000Z', '2024-01-01T00:00:00.0000000Z');
                INSERT INTO ledger (instance_id, activity_id, kind, node, name, created_at) VALUES ('i1', 'a1', 'snapshot', 'n1', 'tank/vm@s1', '2024-01-01T00:00:00.0000000Z');
                """);
        }
        SqliteConnection.ClearAllPools();

        var current = new SqliteDatabase(path, NullLogger<SqliteDatabase>.Instance);
        var version = await current.MigrateAsync(CancellationToken.None);
        var again = await new SqliteDatabase(path, NullLogger<SqliteDatabase>.Instance).MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaScripts.All[^1].Version, version);
        Assert.Equal(version, again);
        var instance = await new SqliteWorkflowInstanceStore(current).GetAsync("i1", CancellationToken.None);
        Assert.NotNull(instance);
        Assert.Equal(WorkflowStatus.Suspended, instance.Status);
        Assert.Equal(1, instance.Variables["x"]!.GetValue<int>());
        Assert.Null(instance.CorrelationId);
        Assert.Equal("""{"definitionId":"d1"}""", instance.DefinitionJson);
        Assert.Equal("tank/vm@s1", Assert.Single(await new SqliteLedgerStore(current).ListAsync("i1", CancellationToken.None)).Name);
        await using var check = await current.OpenAsync(CancellationToken.None);
        Assert.Equal(SchemaScripts.All.Count, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_version;"));
    }
}
