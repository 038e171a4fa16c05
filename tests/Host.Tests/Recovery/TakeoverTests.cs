using System.Collections.Concurrent;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// Automatic takeover, on each engine: host A (a runtime whose clock is frozen, so it never renews its lease: a host
/// that died or stalled without releasing) holds a running instance; host B, a live server (the real composition) on
/// the same database, takes it over by itself within the lease's expiry plus one poll, never before, journals that it
/// took it and why, re-runs the interrupted activity (policy Rerun) and finishes the instance. A, when its activity
/// ends, can no longer write it.
/// </summary>
public abstract class TakeoverTests(PostgreSqlServer? server, DatabaseEngine engine, ITestOutputHelper output) : StoreTestBase(server, engine)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    [Fact(Timeout = 120_000)]
    public async Task LiveServer_ShouldTakeOverAnInstanceWhoseHostStoppedRenewingAndFinishIt()
    {
        var gate = Guid.NewGuid().ToString("N");
        await using var hostB = await RunningServer.StartAsync(Store.Setting, configuration: new Dictionary<string, string?>
        {
            ["Leases:RenewInterval"] = "00:00:00.5",
            ["Leases:Duration"] = LeaseDuration.ToString(),
            ["Leases:TakeoverPollInterval"] = Poll.ToString(),
        }, activityAssemblies: [typeof(GatedTakeoverStep).Assembly]);
        await using var hostA = new ServiceCollection()
            .AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow)) // frozen: A never renews
            .AddMigrationRuntime(Store.Setting, o =>
            {
                o.LeaseDuration = LeaseDuration;
                o.ActivityAssemblies.Add(typeof(GatedTakeoverStep).Assembly);
            })
            .BuildServiceProvider();
        var runtimeA = hostA.GetRequiredService<IWorkflowRuntime>();
        var id = await runtimeA.StartAsync(hostA.GetRequiredService<IWorkflowDefinitionLoader>().Load(GatedWorkflow(gate)));
        var leaseA = (await hostA.GetRequiredService<IInstanceLeaseStore>().GetAsync(id, default))!;
        var journal = hostB.Services.GetRequiredService<IJournalStore>();

        var takeover = await WaitForAsync(async () => (await journal.ReadAsync(id, 0, 1000, default))
            .SingleOrDefault(e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver), TimeSpan.FromSeconds(30));

        var afterExpiry = takeover.At - leaseA.ExpiresAt!.Value;
        output.WriteLine($"{Store.Engine}: taken over {afterExpiry.TotalSeconds:0.00} s after A's lease expired (lease {LeaseDuration.TotalSeconds} s, poll {Poll.TotalSeconds} s)");
        Assert.True(afterExpiry >= TimeSpan.Zero, $"B took the instance {-afterExpiry.TotalSeconds:0.00} s before A's lease expired");
        Assert.True(afterExpiry <= Poll + TimeSpan.FromSeconds(3), $"B took the instance {afterExpiry.TotalSeconds:0.00} s after A's lease expired: more than one poll");
        var takerId = takeover.Data!["host"]!.GetValue<string>();
        Assert.NotEqual(leaseA.Holder, takerId);
        Assert.Equal(takerId, takeover.Host); // the journal's host column names the writer of each entry
        Assert.Contains($"the lease of {Environment.MachineName} pid {Environment.ProcessId} ({leaseA.Holder}) expired", takeover.Message);
        var recovered = Assert.Single(await journal.ReadAsync(id, takeover.Id, 1000, default), e => e.Kind == JournalKind.ActivityRecovered);
        Assert.Equal("gated", recovered.ActivityId);

        GatedTakeoverStep.Open(gate); // both A's stale execution and B's re-run end now; only B may commit
        var runtimeB = hostB.Services.GetRequiredService<IWorkflowRuntime>();
        Assert.Equal(WorkflowStatus.Finished, await runtimeB.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(30)));
        var entries = await journal.ReadAsync(id, 0, 1000, default);
        Assert.Single(entries, e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);
        Assert.Single(entries, e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == "gated");
        Assert.DoesNotContain(entries, e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == "gated" && e.Id < takeover.Id);
        Assert.All(entries, e => Assert.Equal(e.Id < takeover.Id ? leaseA.Holder : takerId, e.Host));
    }

    [Fact(Timeout = 120_000)]
    public async Task LiveServer_ShouldTakeOverTheInstanceOfASigkilledRunWithinOnePoll()
    {
        // Default leases (2 s renewal and poll, 10 s expiry): a holder on this machine whose process is gone is taken at the next poll.
        await using var hostB = await RunningServer.StartAsync(Store.Setting);
        var file = Path.Combine(Path.GetTempPath(), $"takeover-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, TestWorkflows.Holding);
        try
        {
            using var run = Cli.CliProcess.Start(Store.Setting, "run", file, "--db", Store.Setting);
            await run.WaitForOutputAsync("as instance ", TimeSpan.FromSeconds(60));
            var id = System.Text.RegularExpressions.Regex.Match(run.Output, "as instance ([0-9a-f]{32})").Groups[1].Value;
            var leases = hostB.Services.GetRequiredService<IInstanceLeaseStore>();
            var lease = await WaitForAsync(async () => await leases.GetAsync(id, default) is { Pid: { } pid } l && pid == run.Id ? l : null, TimeSpan.FromSeconds(30));

            run.Crash();
            var killedAt = DateTimeOffset.UtcNow;
            var journal = hostB.Services.GetRequiredService<IJournalStore>();
            var takeover = await WaitForAsync(async () => (await journal.ReadAsync(id, 0, 1000, default))
                .SingleOrDefault(e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver), TimeSpan.FromSeconds(30));

            var afterKill = takeover.At - killedAt;
            output.WriteLine($"{Store.Engine}: taken over {afterKill.TotalSeconds:0.00} s after the SIGKILL (poll 2 s; the lease would have expired {(lease.ExpiresAt!.Value - killedAt).TotalSeconds:0.0} s after it)");
            Assert.True(afterKill <= TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(3), $"taken over {afterKill.TotalSeconds:0.00} s after the kill: more than one poll");
            Assert.Contains($"pid {run.Id} ({lease.Holder}) no longer runs on this machine", takeover.Message);
            // The sequence's policy is Compensate: B ends it Faulted (nothing to undo).
            var runtimeB = hostB.Services.GetRequiredService<IWorkflowRuntime>();
            Assert.Equal(WorkflowStatus.Faulted, await runtimeB.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            File.Delete(file);
        }
    }


    private static string GatedWorkflow(string gate) => TestWorkflows.Build("takeover",
    [
        TestWorkflows.Activity("start1", "Elsa.Start", 0),
        TestWorkflows.Activity("gated", "TakeoverTest.Gated", 200, ("gate", "String", gate)),
        TestWorkflows.Activity("finish1", "Elsa.Finish", 400),
    ], ["start1", "gated", "finish1"]);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout) where T : class
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await probe() is { } value)
                return value;
            await Task.Delay(50, cancellation.Token);
        }
    }
}

/// <summary>Waits until the test opens the gate named by its input (safe to re-run: it only waits).</summary>
[Activity("TakeoverTest", TypeName = "Gated")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class GatedTakeoverStep : CodeActivity
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    [Input] public Input<string>? Gate { get; set; }

    public static void Open(string gate) => For(gate).TrySetResult();

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context) =>
        await For(context.Get(Gate) ?? "").Task.WaitAsync(context.CancellationToken);

    private static TaskCompletionSource For(string gate) => Gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed class SqliteTakeoverTests(ITestOutputHelper output) : TakeoverTests(null, DatabaseEngine.Sqlite, output);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlTakeoverTests(PostgreSqlServer server, ITestOutputHelper output) : TakeoverTests(server, DatabaseEngine.PostgreSql, output);
