using Dapper;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sql;
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

        Assert.Equal(EngineSchema.Migrations.Newest, version);
        await using var connection = await database.OpenAsync(CancellationToken.None);
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode;"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("PRAGMA foreign_keys;"));
        Assert.True(await connection.ExecuteScalarAsync<int>("PRAGMA busy_timeout;") >= 1000);
        Assert.Equal(EngineSchema.Migrations.Scripts.Select(s => s.Version), await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version;"));
    }

    [Fact]
    public async Task Migrate_OnAnExistingVersion1Database_ShouldApplyOnlyNewerScriptsAndKeepTheData()
    {
        var path = Path.Combine(_directory, "old.db");
        var old = new SqliteDatabase(path, NullLogger.Instance, new SchemaMigrations("schema_version", [.. EngineSchema.Migrations.Scripts.Where(s => s.Version == 1)]));
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

        Assert.Equal(EngineSchema.Migrations.Newest, version);
        Assert.Equal(version, again);
        var instance = await new SqlWorkflowInstanceStore(current).GetAsync("i1", CancellationToken.None);
        Assert.NotNull(instance);
        Assert.Equal(WorkflowStatus.Suspended, instance.Status);
        Assert.Equal(1, instance.Variables["x"]!.GetValue<int>());
        Assert.Null(instance.CorrelationId);
        Assert.Equal("""{"definitionId":"d1"}""", instance.DefinitionJson);
        Assert.Equal("tank/vm@s1", Assert.Single(await new SqlLedgerStore(current).ListAsync("i1", CancellationToken.None)).Name);
        await using var check = await current.OpenAsync(CancellationToken.None);
        Assert.Equal(EngineSchema.Migrations.Scripts.Count, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task Migrate_OnADatabaseOfThePreviousMigrator_ShouldApplyNothingAndReadEveryRowThroughTheStores()
    {
        var path = Path.Combine(_directory, "previous.db");
        await CreateAsThePreviousMigratorDidAsync(path);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.ExecuteAsync("""
                INSERT INTO definitions (definition_id, version, name, is_latest, is_published, json, created_at, updated_at)
                VALUES ('d1', 2, 'Old', 1, 1, '{"definitionId":"d1"}', '2024-01-01T00:00:00.0000000Z', '2024-01-02T00:00:00.0000000Z');
                INSERT INTO definition_snapshots (hash, json) VALUES ('h1', '{"definitionId":"d1"}');
                INSERT INTO instances (id, definition_id, definition_version, definition_name, definition_hash, status, variables, inputs, state,
                                       error, created_at, updated_at, finished_at, correlation_id)
                VALUES ('i1', 'd1', 2, 'Old', 'h1', 'Faulted', '{"x":1}', '{"VmId":"101"}', '{"s":1}', 'boom',
                        '2024-01-01T00:00:00.0000000Z', '2024-01-01T00:05:00.0000000Z', '2024-01-01T00:05:00.1234567Z', 'vm-101');
                INSERT INTO bookmarks (id, instance_id, activity_id, name, payload, resume_at)
                VALUES ('b1', 'i1', 'a1', 'Timer', '[1,2]', '2024-01-01T00:10:00.0000000Z');
                INSERT INTO journal (instance_id, at, kind, activity_id, activity_type, outcome, duration_ms, message, data)
                VALUES ('i1', '2024-01-01T00:00:01.0000000Z', 'ActivityCompleted', 'a1', 'Elsa.Delay', 'Done', 12.5, NULL, '{"k":"v"}');
                INSERT INTO ledger (instance_id, activity_id, kind, node, name, details, created_at, released_at, confirmed_at)
                VALUES ('i1', 'a1', 'snapshot', 'n1', 'tank/vm@s1', '{"pid":7}', '2024-01-01T00:00:02.0000000Z', NULL, '2024-01-01T00:00:03.0000000Z');
                """);
        }
        SqliteConnection.ClearAllPools();

        var database = new SqliteDatabase(path, NullLogger<SqliteDatabase>.Instance);
        Assert.Equal(EngineSchema.Migrations.Newest, await database.MigrateAsync(CancellationToken.None));

        var at = (string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var instances = new SqlWorkflowInstanceStore(database);
        var instance = (await instances.GetAsync("i1", CancellationToken.None))!;
        Assert.Equal(("d1", 2, "Old", """{"definitionId":"d1"}""", WorkflowStatus.Faulted), (instance.DefinitionId, instance.DefinitionVersion,
            instance.DefinitionName, instance.DefinitionJson, instance.Status));
        Assert.Equal(("""{"x":1}""", """{"VmId":"101"}""", """{"s":1}""", "boom", "vm-101"), (instance.Variables.ToJsonString(), instance.Inputs.ToJsonString(),
            instance.StateJson, instance.Error, instance.CorrelationId));
        Assert.Equal((at("2024-01-01T00:00:00Z"), at("2024-01-01T00:05:00Z"), at("2024-01-01T00:05:00.1234567Z")), (instance.CreatedAt, instance.UpdatedAt, instance.FinishedAt));
        Assert.Equal(TimeSpan.Zero, instance.CreatedAt.Offset);
        var summary = Assert.Single(await instances.ListAsync(new InstanceQuery(CorrelationId: "vm-101"), CancellationToken.None));
        Assert.Equal(("i1", 2, WorkflowStatus.Faulted, at("2024-01-01T00:05:00.1234567Z")), (summary.Id, summary.DefinitionVersion, summary.Status, summary.FinishedAt));
        var timer = Assert.Single(await instances.GetTimersDueAsync(at("2024-01-01T00:10:00Z"), 10, CancellationToken.None));
        Assert.Equal(("i1", "b1", "a1", "Timer", "[1,2]"), (timer.InstanceId, timer.Bookmark.Id, timer.Bookmark.ActivityId, timer.Bookmark.Name, timer.Bookmark.Payload!.ToJsonString()));
        Assert.Equal(at("2024-01-01T00:10:00Z"), await instances.GetNextTimerAsync(CancellationToken.None));
        var line = Assert.Single(await new SqlJournalStore(database).ReadAsync("i1", 0, 10, CancellationToken.None));
        Assert.Equal((JournalKind.ActivityCompleted, "Elsa.Delay", "Done", 12.5, "v"), (line.Kind, line.ActivityType, line.Outcome, line.DurationMs, (string?)line.Data!["k"]));
        var entry = Assert.Single(await new SqlLedgerStore(database).ListAsync("i1", CancellationToken.None));
        Assert.Equal(("tank/vm@s1", 7, at("2024-01-01T00:00:02Z"), null, at("2024-01-01T00:00:03Z")), (entry.Name, (int)entry.Details!["pid"]!, entry.CreatedAt, entry.ReleasedAt, entry.ConfirmedAt));
        var definition = (await new SqlWorkflowDefinitionStore(database, TimeProvider.System).GetLatestAsync("d1", CancellationToken.None))!;
        Assert.Equal((2, true, true, at("2024-01-02T00:00:00Z")), (definition.Version, definition.IsLatest, definition.IsPublished, definition.UpdatedAt));

        // New writes keep the stored text format: fixed-width UTC with a 'Z'.
        await instances.CommitAsync(new InstanceCommit("i1", WorkflowStatus.Finished, [], "{}", null, at("2025-03-01T12:00:00+02:00"), at("2025-03-01T12:00:01.5+02:00"), null, []),
            CancellationToken.None);
        await using var check = await database.OpenAsync(CancellationToken.None);
        Assert.Equal(("2025-03-01T10:00:00.0000000Z", "2025-03-01T10:00:01.5000000Z"),
            await check.QuerySingleAsync<(string, string)>("SELECT updated_at, finished_at FROM instances WHERE id = 'i1';"));
        Assert.Equal(EngineSchema.Migrations.Scripts.Count, await check.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM schema_version;"));
    }

    /// <summary>
    /// The file as the migrator before this one left it (commit a6e9562, SchemaMigrator with a fixed <c>schema_version</c>):
    /// its own statements copied here; the scripts are the released ones, which are never edited.
    /// </summary>
    private static async Task CreateAsThePreviousMigratorDidAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL;");
        await connection.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS schema_version (
                version     INTEGER NOT NULL PRIMARY KEY,
                description TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL
            );
            """);
        foreach (var script in EngineSchema.Migrations.Scripts)
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            await connection.ExecuteAsync(script.Sql, transaction: transaction);
            await connection.ExecuteAsync("INSERT INTO schema_version (version, description, applied_at) VALUES (@Version, @Description, @AppliedAt);",
                new { script.Version, script.Description, AppliedAt = "2024-01-01T00:00:00.0000000Z" }, transaction);
            await transaction.CommitAsync();
        }
    }
}
