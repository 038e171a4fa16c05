using Dapper;
using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sqlite;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Sites;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Elsa.Migration.Host.Tests.Server;

/// <summary>
/// A database whose host tables were made by the host's own migrator (before the engine's migrator applied them too) and
/// filled by the stores of that time, whose timestamps end in "+00:00": it upgrades without re-running a script and every
/// row reads, compares and sorts as before.
/// </summary>
public sealed class HostSchemaUpgradeTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _db = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task A_database_of_the_previous_host_migrator_upgrades_and_its_rows_read_compare_and_sort_as_before()
    {
        var database = new HostDatabase(new SqliteDatabase(_db.Path, NullLogger<SqliteDatabase>.Instance));
        await CreateAsThePreviousHostMigratorDidAsync(database);
        await using (var connection = await database.OpenAsync(_ct))
        {
            await connection.ExecuteAsync("""
                INSERT INTO host_api_tokens (name, sha256, created_at, expires_at, revoked_at) VALUES
                    ('ops', @ops, '2024-01-01T00:00:00.0000000+00:00', NULL, NULL),
                    ('expired', @expired, '2024-01-01T00:00:00.0000000+00:00', '2024-06-01T00:00:00.0000000+00:00', NULL),
                    ('ends-now', @endsNow, '2024-01-01T00:00:00.0000000+00:00', '2025-03-01T12:00:00.0000000+00:00', NULL),
                    ('ends-next-tick', @endsNextTick, '2024-01-01T00:00:00.0000000+00:00', '2025-03-01T12:00:00.0000001+00:00', NULL);
                INSERT INTO host_schedules (id, definition_id, inputs_json, kind, fire_at, cron, time_zone, misfire, misfire_window_seconds,
                                            created_at, last_fire_time, completed, broken_reason) VALUES
                    ('nightly', 'live-migrate', '{"VmId":"101"}', 'Cron', NULL, '0 3 * * *', 'UTC', 'RunIfLate', 1800,
                     '2024-01-02T00:00:00.0000000+00:00', '2024-02-01T03:00:00.0000000+00:00', 0, NULL);
                INSERT INTO host_schedule_runs (schedule_id, scheduled_for, happened_at, outcome, instance_id, message)
                VALUES ('nightly', '2024-02-01T03:00:00.0000000+00:00', '2024-02-01T03:00:00.5000000+00:00', 'Started', 'i-1', NULL);
                INSERT INTO host_vm_locks (vm_id, instance_id, nodes, started_by, acquired_at) VALUES
                    ('101', 'i-active', '|a|b|', 'api', '2024-01-01T00:00:00.0000000+00:00'),
                    ('102', 'reservation:abandoned', '|a|', 'cli', '2024-01-01T00:00:00.0000000+00:00');
                INSERT INTO host_sites (name, version, inventory_json, created_at) VALUES ('main', 1, '{"nodes":[]}', '2024-01-03T00:00:00.0000000Z');
                """, new { ops = ApiTokenStore.Hash("em_ops"), expired = ApiTokenStore.Hash("em_expired"),
                           endsNow = ApiTokenStore.Hash("em_ends_now"), endsNextTick = ApiTokenStore.Hash("em_ends_next_tick") });
        }

        var schema = new HostSchema(database);
        await schema.EnsureAsync(_ct);

        await using (var check = await database.OpenAsync(_ct))
        {
            // Every script the previous migrator ran, kept as it recorded them (it had no description column).
            Assert.Equal(HostSchema.Migrations.Scripts.Select(s => ((long)s.Version, "")),
                await check.QueryAsync<(long, string)>("SELECT version, description FROM host_schema_version ORDER BY version"));
        }
        var tokens = new ApiTokenStore(database, _time);
        Assert.Equal("ops", await tokens.FindAsync("em_ops", _ct));
        Assert.Null(await tokens.FindAsync("em_expired", _ct));
        Assert.Null(await tokens.FindAsync("em_ends_now", _ct));
        Assert.Equal("ends-next-tick", await tokens.FindAsync("em_ends_next_tick", _ct));
        var listed = await tokens.ListAsync(_ct);
        Assert.Equal(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero), listed.Single(t => t.Name == "expired").ExpiresAt);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), listed.Single(t => t.Name == "ops").CreatedAt);

        var schedules = new ScheduleStore(database, _time);
        var nightly = (await schedules.FindAsync("nightly", _ct))!;
        Assert.Equal((ScheduleKind.Cron, MisfirePolicy.RunIfLate, TimeSpan.FromMinutes(30), "101", false),
            (nightly.Kind, nightly.Misfire, nightly.MisfireWindow, (string?)nightly.Inputs["VmId"], nightly.Completed));
        Assert.Equal(new DateTimeOffset(2024, 2, 1, 3, 0, 0, TimeSpan.Zero), nightly.LastFireTime);
        await schedules.AddAsync(new Schedule("later", "live-migrate", [], ScheduleKind.Once, Now.AddDays(1), null, null, MisfirePolicy.Skip,
            TimeSpan.Zero, Now, null, false), _ct);
        await schedules.AddAsync(new Schedule("earliest", "live-migrate", [], ScheduleKind.Once, Now.AddDays(1), null, null, MisfirePolicy.Skip,
            TimeSpan.Zero, new DateTimeOffset(2023, 12, 31, 0, 0, 0, TimeSpan.Zero), null, false), _ct);
        Assert.Equal(["earliest", "nightly", "later"], (await schedules.ListAsync(_ct)).Select(s => s.Id));
        var run = Assert.Single(await schedules.ListRunsAsync("nightly", _ct));
        Assert.Equal((new DateTimeOffset(2024, 2, 1, 3, 0, 0, 500, TimeSpan.Zero), "i-1"), (run.HappenedAt, run.InstanceId));

        var locks = new VmLockStore(database, _time);
        var acquired = await locks.TryAcquireAsync("102", ["a"], "test", maxPerNode: 2,
            (instanceId, _) => Task.FromResult<bool?>(instanceId == "i-active"), _ct);
        Assert.IsType<VmLockResult.Acquired>(acquired);
        Assert.Equal(["101", "102"], (await locks.ListAsync(_ct)).Select(l => l.VmId).Order());

        var sites = new SiteStore(database, schema, _time);
        var site = Assert.Single(await sites.ListAsync(_ct));
        Assert.Equal(("main", 1, new DateTimeOffset(2024, 1, 3, 0, 0, 0, TimeSpan.Zero)), (site.Name, site.LatestVersion, site.UpdatedAt));
        Assert.Equal(2, (await sites.AddVersionAsync("main", """{"nodes":[1]}""", _ct)).Version);
        Assert.Equal(("""{"nodes":[1]}""", Now), ((await sites.GetAsync("main", null, _ct))!.InventoryJson, (await sites.GetAsync("main", 2, _ct))!.CreatedAt));

        // The upgraded version table takes the next script like any other.
        var probe = HostSchema.Migrations.Scripts.Max(s => s.Version) + 1;
        var next = new SchemaMigrations(HostSchema.Migrations.VersionTable,
            [.. HostSchema.Migrations.Scripts, new(probe, "a probe table", "CREATE TABLE host_probe (x INTEGER);")]);
        Assert.Equal(probe, await database.MigrateAsync(new SchemaVariants(next, HostSchema.PostgreSqlMigrations), _ct));
        await using var after = await database.OpenAsync(_ct);
        Assert.Equal("a probe table", await after.ExecuteScalarAsync<string>("SELECT description FROM host_schema_version WHERE version = @probe", new { probe }));
    }

    [Fact]
    public async Task A_new_database_records_each_host_script_with_its_description_beside_the_engines_own_versions()
    {
        var database = new HostDatabase(new SqliteDatabase(_db.Path, NullLogger<SqliteDatabase>.Instance));

        await new HostSchema(database).EnsureAsync(_ct);
        await new HostSchema(database).EnsureAsync(_ct);

        await using var connection = await database.OpenAsync(_ct);
        Assert.Equal(HostSchema.Migrations.Scripts.Select(s => (s.Version, s.Description)),
            await connection.QueryAsync<(int, string)>("SELECT version, description FROM host_schema_version ORDER BY version"));
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version") > 0);
    }

    /// <summary>
    /// What HostSchema.EnsureAsync did before it used the engine's migrator (commit a6e9562): its statements copied here, the
    /// scripts are the released ones (never edited). The engine's tables come first, as then, from the engine's migrator.
    /// </summary>
    private async Task CreateAsThePreviousHostMigratorDidAsync(HostDatabase database)
    {
        await using var connection = await database.OpenAsync(_ct);
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS host_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)");
        foreach (var script in HostSchema.Migrations.Scripts)
        {
            await using var tx = await database.BeginWriteAsync(connection, _ct);
            await connection.ExecuteAsync(script.Sql, transaction: tx);
            await connection.ExecuteAsync("INSERT INTO host_schema_version (version, applied_at) VALUES (@version, @now)",
                new { version = script.Version, now = DateTimeOffset.UtcNow.ToString("O") }, tx);
            await tx.CommitAsync(_ct);
        }
        SqliteConnection.ClearAllPools();
    }
}
