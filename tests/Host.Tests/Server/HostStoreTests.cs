using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Sites;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Elsa.Migration.Host.Tests.Server;

/// <summary>The host's stores on SQLite.</summary>
public sealed class SqliteHostStoreTests() : HostStoreTests(null, DatabaseEngine.Sqlite);

/// <summary>The same tests on PostgreSQL.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlHostStoreTests(PostgreSqlServer server) : HostStoreTests(server, DatabaseEngine.PostgreSql);

/// <summary>Tokens, schedules and their runs, VM locks, sites and link rates against a fresh database per test, once per engine.</summary>
public abstract class HostStoreTests(PostgreSqlServer? server, DatabaseEngine engine) : StoreTestBase(server, engine)
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly CancellationToken _ct = CancellationToken.None;

    private HostDatabase Host => new(Database);

    private async Task<HostDatabase> MigratedAsync()
    {
        var host = Host;
        await new HostSchema(host).EnsureAsync(_ct);
        return host;
    }

    [Fact]
    public async Task Tokens_are_found_until_they_expire_or_are_revoked_and_are_listed_oldest_first()
    {
        var tokens = new ApiTokenStore(await MigratedAsync(), _time);
        Assert.False(await tokens.AnyAsync(_ct));

        var forever = await tokens.CreateAsync("ops", null, _ct);
        var hour = await tokens.CreateAsync("ci", TimeSpan.FromHours(1), _ct);

        Assert.True(await tokens.AnyAsync(_ct));
        Assert.Equal("ops", await tokens.FindAsync(forever, _ct));
        Assert.Equal("ci", await tokens.FindAsync(hour, _ct));
        Assert.Null(await tokens.FindAsync(hour + "x", _ct));
        _time.Advance(TimeSpan.FromHours(2));
        Assert.Null(await tokens.FindAsync(hour, _ct));
        Assert.Equal(1, await tokens.RevokeAsync("ops", _ct));
        Assert.Null(await tokens.FindAsync(forever, _ct));
        Assert.Equal(0, await tokens.RevokeAsync("ops", _ct));
        var listed = await tokens.ListAsync(_ct);
        Assert.Equal(["ops", "ci"], listed.Select(t => t.Name));
        Assert.Equal((Now, (DateTimeOffset?)null, (DateTimeOffset?)Now.AddHours(2)), (listed[0].CreatedAt, listed[0].ExpiresAt, listed[0].RevokedAt));
        Assert.Equal(Now.AddHours(1), listed[1].ExpiresAt);
    }

    [Fact]
    public async Task Schedules_keep_their_fields_fire_times_completion_and_runs()
    {
        var schedules = new ScheduleStore(await MigratedAsync(), _time);
        var once = new Schedule("s1", "live-migrate", new JsonObject { ["VmId"] = "101" }, ScheduleKind.Once, Now.AddHours(1), null, null,
            MisfirePolicy.RunIfLate, TimeSpan.FromMinutes(5), Now, null, false);
        var cron = new Schedule("s2", "replicate", new JsonObject(), ScheduleKind.Cron, null, "*/5 * * * *", "Europe/Berlin",
            MisfirePolicy.Skip, TimeSpan.Zero, Now.AddSeconds(1), null, false);
        await schedules.AddAsync(once, _ct);
        await schedules.AddAsync(cron, _ct);

        var listed = await schedules.ListAsync(_ct);
        Assert.Equal(["s1", "s2"], listed.Select(s => s.Id));
        Assert.Equal(once.Inputs.ToJsonString(), listed[0].Inputs.ToJsonString());
        Assert.Equal(once with { Inputs = listed[0].Inputs }, listed[0]);
        Assert.Equal(cron with { Inputs = listed[1].Inputs }, listed[1]);

        await schedules.MarkFiredAsync("s1", Now.AddHours(1), completed: true, _ct);
        await schedules.MarkFiredAsync("s1", Now.AddHours(2), completed: false, _ct);
        await schedules.MarkBrokenAsync("s2", "never fires", _ct);
        var fired = (await schedules.FindAsync("s1", _ct))!;
        Assert.Equal((Now.AddHours(2), true), (fired.LastFireTime, fired.Completed));
        Assert.Equal("never fires", (await schedules.FindAsync("s2", _ct))!.BrokenReason);

        var first = await schedules.RecordRunAsync("s1", Now.AddHours(1), ScheduleRunOutcomes.Started, "i1", null, _ct);
        var second = await schedules.RecordRunAsync("s1", Now.AddHours(2), "Missed", null, "late", _ct);
        Assert.True(second.Id > first.Id);
        Assert.Equal([first, second], await schedules.ListRunsAsync("s1", _ct));

        Assert.True(await schedules.DeleteAsync("s1", _ct));
        Assert.False(await schedules.DeleteAsync("s1", _ct));
        Assert.Null(await schedules.FindAsync("s1", _ct));
        Assert.Equal(2, (await schedules.ListRunsAsync("s1", _ct)).Count);
    }

    [Fact]
    public async Task Vm_locks_refuse_a_busy_vm_and_a_full_node_and_release_by_instance()
    {
        var locks = new VmLockStore(await MigratedAsync(), _time);
        Task<bool?> Active(string id, CancellationToken ct) => Task.FromResult<bool?>(true);

        var first = Assert.IsType<VmLockResult.Acquired>(await locks.TryAcquireAsync("vm-1", ["a", "b"], "cli", 1, Active, _ct));
        await locks.BindAsync(first.Reservation, "i1", _ct);

        var busy = Assert.IsType<VmLockResult.VmBusy>(await locks.TryAcquireAsync("vm-1", ["c"], "api", 1, Active, _ct));
        Assert.Equal(("i1", "cli"), (busy.HolderInstanceId, busy.HolderStartedBy));
        Assert.Equal(new VmLockResult.NodeFull("b", 1), await locks.TryAcquireAsync("vm-2", ["b"], "api", 1, Active, _ct));
        Assert.Equal(new VmLockResult.NodeFull("b", 1), await locks.CheckAsync("vm-2", ["b"], 1, null, Active, _ct));
        Assert.Null(await locks.CheckAsync("vm-1", ["a"], 1, "i1", Active, _ct));
        Assert.Equal([("vm-1", "i1", "cli")], await locks.ListAsync(_ct));

        await locks.ReleaseAsync("i1", _ct);
        Assert.Empty(await locks.ListAsync(_ct));
        Assert.IsType<VmLockResult.Acquired>(await locks.TryAcquireAsync("vm-2", ["b"], "api", 1, Active, _ct));
    }

    [Fact]
    public async Task Vm_locks_taken_at_once_never_exceed_the_node_limit()
    {
        var locks = new VmLockStore(await MigratedAsync(), _time);
        Task<bool?> Active(string id, CancellationToken ct) => Task.FromResult<bool?>(null);

        var results = await Task.WhenAll(Enumerable.Range(1, 12).Select(i =>
            Task.Run(() => locks.TryAcquireAsync($"vm-{i}", ["node-a"], "test", 3, Active, _ct))));

        Assert.Equal(3, results.Count(r => r is VmLockResult.Acquired));
        Assert.Equal(9, results.Count(r => r is VmLockResult.NodeFull));
        Assert.Equal(3, (await locks.ListAsync(_ct)).Count);
    }

    [Fact]
    public async Task Sites_get_one_version_per_import_even_when_imported_at_once()
    {
        var sites = new SiteStore(Host, new HostSchema(Host), _time);

        var versions = await Task.WhenAll(Enumerable.Range(1, 6).Select(i =>
            Task.Run(() => sites.AddVersionAsync("main", $$"""{"nodes":[{{i}}]}""", _ct))));
        await sites.AddVersionAsync("lab", "{}", _ct);

        Assert.Equal([1, 2, 3, 4, 5, 6], versions.Select(v => v.Version).Order());
        Assert.Equal([("lab", 1, 1), ("main", 6, 6)], (await sites.ListAsync(_ct)).Select(s => (s.Name, s.LatestVersion, s.Versions)));
        var latest = (await sites.GetAsync("main", null, _ct))!;
        Assert.Equal((6, Now), (latest.Version, latest.CreatedAt));
        Assert.Equal(versions.Single(v => v.Version == 2).InventoryJson, (await sites.GetAsync("main", 2, _ct))!.InventoryJson);
        Assert.Null(await sites.GetAsync("main", 7, _ct));
        Assert.Equal(6, await sites.DeleteAsync("main", _ct));
        Assert.Null(await sites.GetAsync("main", null, _ct));
    }

    [Fact]
    public async Task Link_rates_are_configured_until_measured_and_the_latest_measurement_replaces_the_last()
    {
        var rates = new LinkRateStore(await MigratedAsync(), Options.Create(new PreflightOptions { DefaultLinkBytesPerSecond = 1000 }), _time);

        Assert.Equal(new Activities.Migration.Preflight.LinkRate(1000, "configured"), await rates.GetAsync("a", "b", _ct));
        await rates.RecordAsync("a", "b", 5e8, "i1", _ct);
        _time.Advance(TimeSpan.FromMinutes(1));
        await rates.RecordAsync("a", "b", 2.5e8, "i2", _ct);

        Assert.Equal(Activities.Migration.Preflight.LinkRate.Measured(2.5e8, Now.AddMinutes(1), "i2"), await rates.GetAsync("a", "b", _ct));
        Assert.Equal("configured", (await rates.GetAsync("b", "a", _ct)).Source);
    }
}
