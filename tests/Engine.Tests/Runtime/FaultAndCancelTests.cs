using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>Faults (Failed port, compensation), cooperative cancellation, compensation; asserted from the database.</summary>
public sealed class FaultAndCancelTests : IAsyncLifetime
{
    private readonly RuntimeHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Fault_WhenTheFailedPortIsConnected_ShouldTakeItAndFinish()
    {
        var json = new FlowJson("failed-port")
            .Activity("start", "Elsa.Start")
            .Activity("boom", "RuntimeTest.Fail")
            .Activity("handled", "RuntimeTest.Step")
            .Activity("next", "RuntimeTest.Step")
            .Chain("start", "boom", "next").Connect("boom", "Failed", "handled")
            .Build();

        var (id, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal(["boom", "handled"], _harness.Log.Entries);
        var fault = Assert.Single(await _harness.JournalOfAsync(id), e => e.Kind == JournalKind.ActivityFaulted);
        Assert.Equal("boom broke on purpose", fault.Message);
        Assert.Null((await _harness.Instances.GetAsync(id, default))!.Error);
    }

    [Fact]
    public async Task Fault_WithoutFailedPort_ShouldRunCompensationAndEndFaulted()
    {
        var json = new FlowJson("fault-compensate")
            .Activity("start", "Elsa.Start")
            .Activity("made", "RuntimeTest.Record")
            .Activity("boom", "RuntimeTest.Fail")
            .Activity("never", "RuntimeTest.Step")
            .Activity("rollback", "RuntimeTest.Record")
            .Activity("after-rollback", "RuntimeTest.Step")
            .Chain("start", "made", "boom", "never")
            .Chain("rollback", "after-rollback")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        Assert.Equal(["made", "boom", "rollback", "after-rollback"], _harness.Log.Entries);
        var instance = await _harness.Instances.GetAsync(id, default);
        Assert.Contains("boom broke on purpose", instance!.Error);
        Assert.NotNull(instance.FinishedAt);
        Assert.Equal(["made", "rollback"], (await _harness.Ledger.ListAsync(id, default)).Select(e => e.Name));
        var statuses = (await _harness.JournalOfAsync(id)).Where(e => e.Kind == JournalKind.Status).Select(e => e.Message!.Split(':')[0]);
        Assert.Equal(["Running", "Faulted"], statuses);
    }

    [Fact]
    public async Task Cancel_ShouldCancelTheRunningActivityCooperativelyRunCompensationAndEndCancelled()
    {
        var json = new FlowJson("cancel")
            .Activity("start", "Elsa.Start")
            .Activity("work", "RuntimeTest.Gated")
            .Activity("never", "RuntimeTest.Step")
            .Activity("rollback", "RuntimeTest.Record")
            .Chain("start", "work", "never")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);
        await WaitForLogAsync("work:waiting");

        Assert.True(await _harness.Runtime.CancelAsync(id));
        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Cancelled, status);
        Assert.Equal(["work:waiting", "work:cancelled", "rollback"], _harness.Log.Entries);
        Assert.Contains("work", await _harness.ActivitiesAsync(id, JournalKind.ActivityCancelled));
        Assert.False(await _harness.Runtime.CancelAsync(id));
    }

    [Fact]
    public async Task Cancel_WhenSuspendedOnABookmark_ShouldRemoveTheBookmarkAndCompensate()
    {
        var json = new FlowJson("cancel-suspended")
            .Activity("start", "Elsa.Start")
            .Activity("wait", "RuntimeTest.WaitSignal")
            .Activity("rollback", "RuntimeTest.Record")
            .Chain("start", "wait")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);
        Assert.Equal(WorkflowStatus.Suspended, await _harness.Runtime.WaitForIdleAsync(id).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.True(await _harness.Runtime.CancelAsync(id));
        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Cancelled, status);
        Assert.Equal(["rollback"], _harness.Log.Entries);
        Assert.Empty(await _harness.Instances.GetBookmarksAsync(id, default));
    }

    [Fact]
    public async Task ActivityThatNeitherCompletesNorWaits_ShouldFaultTheInstanceWithAClearError()
    {
        var json = new FlowJson("no-completion")
            .Activity("start", "Elsa.Start")
            .Activity("delay", "Elsa.Delay", ("timeSpan", "-00:00:01"))
            .Chain("start", "delay")
            .Build();
        var id = await _harness.StartAsync(json);

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        Assert.Contains("negative", (await _harness.Instances.GetAsync(id, default))!.Error);
    }

    private async Task WaitForLogAsync(params string[] entries)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!entries.All(_harness.Log.Entries.Contains))
            await Task.Delay(10, timeout.Token);
    }
}
