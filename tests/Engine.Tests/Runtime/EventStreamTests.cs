using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>The live event stream and the rate-limited progress journal.</summary>
public sealed class EventStreamTests : IAsyncLifetime
{
    private readonly RuntimeHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Progress_ShouldReachObserversEveryTimeButTheJournalOnlyRateLimited()
    {
        var json = new FlowJson("progress")
            .Activity("start", "Elsa.Start")
            .Activity("copy", "RuntimeTest.Progress", ("reports", 50))
            .Chain("start", "copy")
            .Build();
        var instanceId = Guid.NewGuid().ToString("N");
        using var subscription = _harness.Events.Subscribe(instanceId);

        await _harness.Runtime.StartAsync(_harness.Loader.Load(json), null, new StartWorkflowOptions(instanceId));
        Assert.Equal(WorkflowStatus.Finished, await _harness.Runtime.WaitForEndAsync(instanceId).WaitAsync(TimeSpan.FromSeconds(20)));
        subscription.Dispose();
        var events = new List<WorkflowEvent>();
        await foreach (var e in subscription.ReadAllAsync())
            events.Add(e);

        Assert.Equal(50, events.OfType<ProgressReported>().Count());
        Assert.Equal([WorkflowStatus.Running, WorkflowStatus.Finished], events.OfType<StatusChanged>().Select(s => s.Status));
        Assert.Contains(events.OfType<JournalAppended>(), e => e.Entry.Kind == JournalKind.ActivityCompleted && e.Entry.ActivityId == "copy");
        var journaled = (await _harness.JournalOfAsync(instanceId)).Where(e => e.Kind == JournalKind.Progress).ToList();
        Assert.InRange(journaled.Count, 2, 10);
        Assert.Equal(500, journaled[^1].Data!["done"]!.GetValue<long>());
    }
}
