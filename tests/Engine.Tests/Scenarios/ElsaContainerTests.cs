using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Engine.Tests.Scenarios;

/// <summary>Containers, events and child workflows in Elsa 3 JSON: Parallel, If with its ports, FlowNode, a timer inside
/// a Sequence, End inside a nested flowchart, Event/PublishEvent with a Timer, a runaway While stopped by the
/// execution limit, a workflow activity per ParallelForEach iteration and DispatchWorkflow. Real runtime, real SQLite.</summary>
public sealed class ElsaContainerTests : IAsyncLifetime
{
    private readonly ScenarioHarness _harness = new(o => o.MaxActivityExecutions = 200);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Containers_ShouldRunTheirChildrenAndLeaveByElsasPorts()
    {
        var instance = await _harness.RunAsync("containers.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        var lines = await _harness.LinesAsync(instance.Id);
        Assert.Equal(["parallel 1", "parallel 2"], lines.Take(2).Order());
        Assert.Equal(["else", "if said False", "after delay", "nested before end", "after nested flowchart"], lines.Skip(2));
    }

    [Fact]
    public async Task PublishEvent_ShouldResumeTheWaitingEventWithItsPayload()
    {
        var instance = await _harness.RunAsync("events.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["approved by alice"], await _harness.LinesAsync(instance.Id));
        var journal = await _harness.JournalAsync(instance.Id);
        Assert.Contains(journal, e => e.Kind == JournalKind.ActivitySuspended && e.ActivityId == "wait");
        Assert.Contains(journal, e => e.Kind == JournalKind.ActivitySuspended && e.ActivityId == "timer");
    }

    [Fact]
    public async Task PublishEvent_ShouldStartThePublishedWorkflowsTriggeredByThatEvent()
    {
        await _harness.PublishAsync("on-approved.json");

        var publisher = await _harness.RunAsync("publish-approved.json");

        Assert.Equal(WorkflowStatus.Finished, publisher.Status);
        var triggered = Assert.Single(await _harness.Instances.ListAsync(new InstanceQuery(DefinitionId: "on-approved"), CancellationToken.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(WorkflowStatus.Finished, await _harness.Runtime.WaitForEndAsync(triggered.Id, timeout.Token));
        Assert.Equal(["triggered for order-9"], await _harness.LinesAsync(triggered.Id));
    }

    [Fact]
    public async Task RunawayWhileInsideASequence_ShouldFaultAtTheLimit()
    {
        var instance = await _harness.RunAsync("runaway-while.json");

        Assert.Equal(WorkflowStatus.Faulted, instance.Status);
        Assert.Contains("more than 200 activity executions", instance.Error);
        Assert.Contains("'spin'", instance.Error);
    }

    [Fact]
    public async Task WorkflowActivityPerParallelIteration_AndDispatch_ShouldEachRunTheChild()
    {
        await _harness.PublishAsync("greeter-child.json");

        var instance = await _harness.RunAsync("fan-out-children.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["a", "b", "c"], (await _harness.LinesAsync(instance.Id)).Order());
        Assert.Equal(3, WorkflowOutputs.Read(instance)["Count"]!.GetValue<long>());
        var dispatched = Assert.Single(await _harness.Instances.ListAsync(new InstanceQuery(DefinitionId: "greeter"), CancellationToken.None));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(WorkflowStatus.Finished, await _harness.Runtime.WaitForEndAsync(dispatched.Id, timeout.Token));
        Assert.Equal(["dispatched"], await _harness.LinesAsync(dispatched.Id));
    }
}
