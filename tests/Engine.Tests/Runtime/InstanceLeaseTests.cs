using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Tests.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>
/// Two runtimes (two "processes") on one database, on each engine: recovery leaves an instance the other holds alone,
/// takes it once the holder's lease expired (the holder's clock is frozen, so it never renews) and journals why; the
/// stalled holder can then never write it again; a clean stop releases the leases at once.
/// </summary>
public abstract class InstanceLeaseTests(PostgreSqlServer? server, DatabaseEngine engine) : StoreTestBase(server, engine)
{
    // Running for as long as the test wants: a Delay inside a container waits in-process, so the instance stays Running.
    private const string HoldingWorkflow = """
        {"id": "hold-v1", "definitionId": "hold", "name": "Hold", "version": 1,
         "root": {"id": "seq", "type": "Elsa.Sequence", "version": 1, "activities": [
           {"id": "wait", "type": "Elsa.Delay", "version": 1, "timeSpan": {"typeName": "TimeSpan", "expression": {"type": "Literal", "value": "01:00:00"}}}
         ]}}
        """;

    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Recovery_ShouldLeaveAnInstanceALiveProcessHoldsAloneAndTakeItOnceItsLeaseExpired()
    {
        await using var holder = Runtime(new FakeTimeProvider(_start));
        var otherClock = new FakeTimeProvider(_start);
        await using var other = Runtime(otherClock);
        var id = await holder.Runtime.StartAsync(holder.Loader.Load(HoldingWorkflow));
        var held = await holder.Leases.GetAsync(id, default);
        Assert.Equal(Environment.MachineName, held!.HostName);

        otherClock.Advance(TimeSpan.FromSeconds(1.2));
        var report = await other.Runtime.RecoverAsync();

        Assert.Empty(report.Recovered);
        var (heldId, heldBy) = Assert.Single(report.Held);
        Assert.Equal(id, heldId);
        Assert.Equal($"held by {Environment.MachineName} pid {Environment.ProcessId}, lease renewed 1.2 s ago", heldBy);
        Assert.DoesNotContain(await JournalAsync(other, id), e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);

        otherClock.Advance(TimeSpan.FromSeconds(10)); // the holder never renewed: its lease (10 s) expired 1.2 s ago
        report = await other.Runtime.RecoverAsync();

        Assert.Equal([id], report.Recovered);
        Assert.Empty(report.Held);
        var takeover = Assert.Single(await JournalAsync(other, id), e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);
        Assert.Contains($"the lease of {Environment.MachineName} pid {Environment.ProcessId} ({held.Holder}) expired 1.2 s ago", takeover.Message);
        var taker = takeover.Data!["host"]!.GetValue<string>();
        Assert.NotEqual(held.Holder, taker);
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", taker);
        // The sequence's policy is Compensate: the taker ends it Faulted; the stalled holder can no longer write it.
        Assert.Equal(WorkflowStatus.Faulted, await other.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20)));
        await Assert.ThrowsAsync<InstanceHeldException>(() => holder.Runtime.CancelAsync(id));
        Assert.Equal(WorkflowStatus.Faulted, (await other.Instances.GetAsync(id, default))!.Status);
    }

    [Fact]
    public async Task CleanStop_ShouldReleaseTheLeasesSoTheNextRecoveryTakesTheInstanceAtOnce()
    {
        var holder = Runtime(new FakeTimeProvider(_start));
        var id = await holder.Runtime.StartAsync(holder.Loader.Load(HoldingWorkflow));
        await holder.DisposeAsync();
        await using var other = Runtime(new FakeTimeProvider(_start));

        var lease = await other.Leases.GetAsync(id, default);
        Assert.Null(lease!.Holder);
        var report = await other.Runtime.RecoverAsync();

        Assert.Equal([id], report.Recovered);
        var takeover = Assert.Single(await JournalAsync(other, id), e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);
        Assert.Contains("it had no holder", takeover.Message);
    }

    [Fact]
    public async Task Renewal_ShouldExtendTheLeasesOfTheRunningInstancesOnly()
    {
        var clock = new FakeTimeProvider(_start);
        await using var holder = Runtime(clock, o => o.LeaseRenewInterval = TimeSpan.FromSeconds(2));
        var id = await holder.Runtime.StartAsync(holder.Loader.Load(HoldingWorkflow));
        var first = await holder.Leases.GetAsync(id, default);
        Assert.Equal(_start.AddSeconds(10), first!.ExpiresAt);

        clock.Advance(TimeSpan.FromSeconds(2));
        var renewed = await WaitForAsync(async () => await holder.Leases.GetAsync(id, default) is { ExpiresAt: { } e } l && e > first.ExpiresAt ? l : null);

        Assert.Equal(_start.AddSeconds(12), renewed.ExpiresAt);
        Assert.Equal(_start.AddSeconds(2), renewed.RenewedAt);
    }

    private static async Task<IReadOnlyList<JournalEntry>> JournalAsync(Process process, string id) =>
        await process.Journal.ReadAsync(id, 0, 1000, default);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (await probe() is { } value)
                return value;
            await Task.Delay(20, timeout.Token);
        }
    }

    private Process Runtime(TimeProvider time, Action<MigrationEngineOptions>? configure = null) =>
        new(new ServiceCollection()
            .AddSingleton(time)
            .AddMigrationEngine(o =>
            {
                o.DatabasePath = Store.Setting;
                configure?.Invoke(o);
            })
            .BuildServiceProvider());

    /// <summary>One runtime with its own stores, as a separate process has.</summary>
    private sealed class Process(ServiceProvider services) : IAsyncDisposable
    {
        public IWorkflowRuntime Runtime => services.GetRequiredService<IWorkflowRuntime>();
        public Engine.Json.IWorkflowDefinitionLoader Loader => services.GetRequiredService<Engine.Json.IWorkflowDefinitionLoader>();
        public IWorkflowInstanceStore Instances => services.GetRequiredService<IWorkflowInstanceStore>();
        public IInstanceLeaseStore Leases => services.GetRequiredService<IInstanceLeaseStore>();
        public IJournalStore Journal => services.GetRequiredService<IJournalStore>();

        public ValueTask DisposeAsync() => services.DisposeAsync();
    }
}

public sealed class SqliteInstanceLeaseTests() : InstanceLeaseTests(null, DatabaseEngine.Sqlite);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlInstanceLeaseTests(PostgreSqlServer server) : InstanceLeaseTests(server, DatabaseEngine.PostgreSql);
