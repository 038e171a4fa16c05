using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Time.Testing;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>State that survives a restart: durable timers, recovery of interrupted activities (in-process restart).</summary>
public sealed class DurabilityTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly RuntimeHarness _harness;

    public DurabilityTests() => _harness = new RuntimeHarness(_time);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Delay_ShouldCompleteAfterARestartWhenItsTimeComes()
    {
        var json = new FlowJson("durable-delay")
            .Activity("start", "Elsa.Start")
            .Activity("delay", "Elsa.Delay", ("timeSpan", "00:10:00"))
            .Activity("done", "RuntimeTest.Step")
            .Chain("start", "delay", "done")
            .Build();
        var id = await _harness.StartAsync(json);
        Assert.Equal(WorkflowStatus.Suspended, await _harness.Runtime.WaitForIdleAsync(id).WaitAsync(TimeSpan.FromSeconds(20)));
        var timer = Assert.Single(await _harness.Instances.GetBookmarksAsync(id, default));
        Assert.Equal(_time.GetUtcNow().AddMinutes(10), timer.ResumeAt);

        await _harness.RestartAsync();
        var report = await _harness.Runtime.RecoverAsync();
        Assert.Empty(report.Recovered);
        _time.Advance(TimeSpan.FromMinutes(9));
        await Task.Delay(200);
        Assert.Equal(WorkflowStatus.Suspended, (await _harness.Instances.GetAsync(id, default))!.Status);
        _time.Advance(TimeSpan.FromMinutes(2));
        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Finished, status);
        Assert.Equal(["done"], _harness.Log.Entries);
        Assert.Contains("delay", await _harness.ActivitiesAsync(id, JournalKind.ActivityResumed));
    }

    [Fact]
    public async Task Recovery_WhenTheHostStoppedMidActivity_ShouldRerunARerunActivityAndCompensateACompensateOne()
    {
        var rerun = new FlowJson("rerun")
            .Activity("start", "Elsa.Start")
            .Activity("idempotent", "RuntimeTest.Gated")
            .Chain("start", "idempotent")
            .Build();
        var compensate = new FlowJson("compensate")
            .Activity("start", "Elsa.Start")
            .Activity("risky-wait", "RuntimeTest.Gated")
            .Activity("rollback", "RuntimeTest.Record")
            .Connect("start", "Done", "risky-wait")
            .Compensation("rollback")
            .Build();
        // Not re-runnable: the same gated wait, but under a type without [Recovery(Rerun)].
        compensate = compensate.Replace("\"type\":\"RuntimeTest.Gated\"", "\"type\":\"RuntimeTest.GatedNoRerun\"");
        var rerunId = await _harness.StartAsync(rerun);
        var compensateId = await _harness.StartAsync(compensate);
        await WaitForLogAsync("idempotent:waiting", "risky-wait:waiting");

        await _harness.RestartAsync();
        _harness.Gates.Open("idempotent");
        var report = await _harness.Runtime.RecoverAsync();

        Assert.Equal(2, report.Recovered.Count);
        await _harness.AssertStatusAsync(rerunId, WorkflowStatus.Finished, await _harness.Runtime.WaitForEndAsync(rerunId).WaitAsync(TimeSpan.FromSeconds(20)));
        await _harness.AssertStatusAsync(compensateId, WorkflowStatus.Faulted, await _harness.Runtime.WaitForEndAsync(compensateId).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, (await _harness.ActivitiesAsync(rerunId, JournalKind.ActivityStarted)).Count(a => a == "idempotent"));
        Assert.Single(await _harness.ActivitiesAsync(compensateId, JournalKind.ActivityStarted), a => a == "risky-wait");
        Assert.Equal(["rollback"], (await _harness.Ledger.ListAsync(compensateId, default)).Select(e => e.Name));
    }

    private async Task WaitForLogAsync(params string[] entries)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!entries.All(_harness.Log.Entries.Contains))
            await Task.Delay(10, timeout.Token);
    }
}
