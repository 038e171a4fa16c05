using System.Threading.Channels;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>Something observers of running workflows see live (the CLI's journal lines, the server's SSE stream).</summary>
public abstract record WorkflowEvent(string InstanceId, DateTimeOffset At);

/// <summary>A journal entry was committed.</summary>
public sealed record JournalAppended(JournalEntry Entry) : WorkflowEvent(Entry.InstanceId, Entry.At);

/// <summary>An activity reported progress (every report; the journal keeps a rate-limited subset).</summary>
public sealed record ProgressReported(string InstanceId, string ActivityId, Progress Progress, DateTimeOffset At) : WorkflowEvent(InstanceId, At);

/// <summary>An instance's status was committed.</summary>
public sealed record StatusChanged(string InstanceId, WorkflowStatus Status, string? Error, DateTimeOffset At) : WorkflowEvent(InstanceId, At);

/// <summary>The live stream of workflow events. Subscribe before starting an instance to see everything it does.</summary>
public interface IWorkflowEventStream
{
    /// <summary>Subscribes to the events of one instance, or of all when <paramref name="instanceId"/> is null.
    /// A subscriber that falls more than <paramref name="capacity"/> events behind loses the oldest ones (the runtime never waits for observers).</summary>
    WorkflowEventSubscription Subscribe(string? instanceId = null, int capacity = 4096);
}

/// <summary>A live subscription; dispose it to stop receiving.</summary>
public sealed class WorkflowEventSubscription : IDisposable
{
    private readonly Channel<WorkflowEvent> _channel;
    private readonly Action<WorkflowEventSubscription> _unsubscribe;

    internal WorkflowEventSubscription(string? instanceId, int capacity, Action<WorkflowEventSubscription> unsubscribe)
    {
        InstanceId = instanceId;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<WorkflowEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
    }

    /// <summary>The instance filter (null: all instances).</summary>
    public string? InstanceId { get; }

    /// <summary>The events, in commit order.</summary>
    public ChannelReader<WorkflowEvent> Reader => _channel.Reader;

    /// <summary>Reads events until the token is cancelled or the subscription is disposed.</summary>
    public IAsyncEnumerable<WorkflowEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    internal void Write(WorkflowEvent workflowEvent)
    {
        if (InstanceId is null || InstanceId == workflowEvent.InstanceId)
            _channel.Writer.TryWrite(workflowEvent);
    }

    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}

/// <summary>Fans events out to subscribers (copy-on-write list: publishing never takes a lock).</summary>
public sealed class WorkflowEventHub : IWorkflowEventStream
{
    private readonly Lock _gate = new();
    private WorkflowEventSubscription[] _subscribers = [];

    public WorkflowEventSubscription Subscribe(string? instanceId = null, int capacity = 4096)
    {
        var subscription = new WorkflowEventSubscription(instanceId, capacity, Remove);
        lock (_gate)
            _subscribers = [.. _subscribers, subscription];
        return subscription;
    }

    /// <summary>Delivers an event to every matching subscriber.</summary>
    public void Publish(WorkflowEvent workflowEvent)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
            subscriber.Write(workflowEvent);
    }

    private void Remove(WorkflowEventSubscription subscription)
    {
        lock (_gate)
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
    }
}
