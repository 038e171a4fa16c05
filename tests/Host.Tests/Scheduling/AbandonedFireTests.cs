using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>
/// A fire time claimed by a host that died before recording it, on each engine, with two live servers on the database:
/// one of them re-claims it and starts it once (on time), records it Missed (later than the tolerance, policy Skip), or
/// records the instance the dead host had started already; a claim of a live host is left alone.
/// </summary>
public abstract class AbandonedFireTests(PostgreSqlServer? server, DatabaseEngine engine, ITestOutputHelper output) : StoreTestBase(server, engine)
{
    private static readonly Dictionary<string, string?> Settings = new() { ["Leases:TakeoverPollInterval"] = "00:00:00.5" };

    [Fact(Timeout = 120_000)]
    public async Task A_fire_time_claimed_by_a_dead_host_is_reclaimed_and_handled_once_by_one_live_host()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var hostA = await RunningServer.StartAsync(Store.Setting, configuration: Settings, cancellationToken: timeout.Token);
        await using var hostB = await RunningServer.StartAsync(Store.Setting, hostA.Token, Settings, timeout.Token);
        await TestWorkflows.ImportAsync(hostA.Client, TestWorkflows.Quick(), timeout.Token);
        // A yearly cron: Quartz never fires it during the test, only the claims below exist.
        var created = await hostA.Client.PostAsJsonAsync("/api/schedules",
            new JsonObject { ["definitionId"] = "quick-flow", ["cron"] = "0 0 3 1 1 ?" }, timeout.Token);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(timeout.Token));
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!["id"]!.GetValue<string>();

        var store = hostA.Services.GetRequiredService<ScheduleStore>();
        var leases = hostA.Services.GetRequiredService<IInstanceLeaseStore>();
        var now = DateTimeOffset.UtcNow;
        // Hosts on another machine (no pid to look at): one whose last renewal is a minute old, one renewing.
        var dead = new RuntimeHostIdentity("elsewhere-4242-dead0000", "elsewhere", 4242);
        var live = new RuntimeHostIdentity("elsewhere-4343-live0000", "elsewhere", 4343);
        await leases.RegisterAsync(dead, now.AddMinutes(-1), timeout.Token);
        await leases.RegisterAsync(live, now, timeout.Token);
        var onTime = now.AddSeconds(-2);
        var late = now.AddMinutes(-5);
        var startedByDead = now.AddSeconds(-3);
        var heldByLive = now.AddSeconds(-1);
        // The dead host had started this one (its instance id is the fire time's) and died before recording it.
        var started = await hostA.Services.GetRequiredService<IMigrationStarter>().StartAsync(new StartMigrationRequest("quick-flow",
            new Dictionary<string, JsonNode?>(), "schedule:" + id, InstanceId: ScheduledFireStarter.InstanceIdOf(id, startedByDead)), timeout.Token);
        Assert.IsType<StartMigrationResult.Started>(started);
        foreach (var at in new[] { onTime, late, startedByDead })
            Assert.Null(await store.ClaimFireAsync(id, at, "elsewhere pid 4242", dead.Id, timeout.Token));
        Assert.Null(await store.ClaimFireAsync(id, heldByLive, "elsewhere pid 4343", live.Id, timeout.Token));

        var runs = await WaitForAsync(async () => await store.ListRunsAsync(id, timeout.Token) is { Count: >= 3 } r ? r : null, timeout.Token);
        var reclaimedIn = DateTimeOffset.UtcNow - now;
        await Task.Delay(TimeSpan.FromSeconds(2), timeout.Token); // a second poll of both hosts: nothing more may be recorded
        runs = await store.ListRunsAsync(id, timeout.Token);
        output.WriteLine($"{Store.Engine}: 3 dead claims recorded within {reclaimedIn.TotalSeconds:0.00} s (poll 0.5 s): " +
            string.Join("; ", runs.Select(r => $"{r.ScheduledFor:HH:mm:ss.fff} {r.Outcome} {r.Message}")));
        Assert.Equal(3, runs.Count);
        Assert.Single(runs, r => r.ScheduledFor == onTime);
        var startedRun = runs.Single(r => r.ScheduledFor == onTime);
        Assert.Equal(ScheduleRunOutcomes.Started, startedRun.Outcome);
        Assert.Equal(ScheduledFireStarter.InstanceIdOf(id, onTime), startedRun.InstanceId);
        Assert.Contains("Re-claimed from elsewhere pid 4242", startedRun.Message);
        var missed = runs.Single(r => r.ScheduledFor == late);
        Assert.Equal(ScheduleRunOutcomes.Missed, missed.Outcome);
        Assert.Contains("Re-claimed from elsewhere pid 4242", missed.Message);
        var recorded = runs.Single(r => r.ScheduledFor == startedByDead);
        Assert.Equal(ScheduleRunOutcomes.Started, recorded.Outcome);
        Assert.Equal(((StartMigrationResult.Started)started).InstanceId, recorded.InstanceId);
        Assert.DoesNotContain(runs, r => r.ScheduledFor == heldByLive);
        Assert.Equal([heldByLive], (await store.ListPendingClaimsAsync(timeout.Token)).Select(c => c.ScheduledFor));

        var runtime = hostA.Services.GetRequiredService<IWorkflowRuntime>();
        Assert.Equal(WorkflowStatus.Finished, await runtime.WaitForEndAsync(startedRun.InstanceId!, timeout.Token));
        var instances = hostA.Services.GetRequiredService<IWorkflowInstanceStore>();
        Assert.Equal(2, (await instances.ListAsync(new InstanceQuery(DefinitionId: "quick-flow"), timeout.Token)).Count);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken cancellationToken) where T : class
    {
        while (true)
        {
            if (await probe() is { } value)
                return value;
            await Task.Delay(50, cancellationToken);
        }
    }
}

public sealed class SqliteAbandonedFireTests(ITestOutputHelper output) : AbandonedFireTests(null, DatabaseEngine.Sqlite, output);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlAbandonedFireTests(PostgreSqlServer server, ITestOutputHelper output) : AbandonedFireTests(server, DatabaseEngine.PostgreSql, output);
