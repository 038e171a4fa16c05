namespace Elsa.Migration.Activities.Qemu;

/// <summary>Something the read loop hands every event to, and tells when the connection closes.</summary>
internal interface IQmpEventSink
{
    void OnEvent(QmpEvent qmpEvent);
    void OnClosed(Exception reason);
}

/// <summary>
/// A pending expectation of one event, registered before the command that triggers it so the event cannot be missed.
/// Create it with <see cref="QmpClient.ExpectEvent{T}"/>, then run the command, then <see cref="WaitAsync"/>.
/// Dispose it to stop listening.
/// </summary>
public sealed class QmpEventWaiter<T> : IQmpEventSink, IDisposable where T : QmpEvent
{
    private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<T, bool> _predicate;
    private readonly Action<IQmpEventSink> _unregister;
    private readonly string _description;

    internal QmpEventWaiter(Func<T, bool>? predicate, Action<IQmpEventSink> unregister, string? description)
    {
        _predicate = predicate ?? (_ => true);
        _unregister = unregister;
        _description = description ?? typeof(T).Name;
    }

    /// <summary>Completes with the first matching event; faults with <see cref="QmpDisconnectedException"/> if the connection closes first.</summary>
    public Task<T> Task => _tcs.Task;

    /// <summary>Waits for the event, at most <paramref name="timeout"/> (then <see cref="QmpEventTimeoutException"/>).</summary>
    public async Task<T> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _tcs.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!_tcs.Task.IsCompleted)
        {
            throw new QmpEventTimeoutException(_description, timeout);
        }
        finally
        {
            Dispose();
        }
    }

    void IQmpEventSink.OnEvent(QmpEvent qmpEvent)
    {
        if (_tcs.Task.IsCompleted || qmpEvent is not T typed) return;
        bool matches;
        try
        {
            matches = _predicate(typed);
        }
        catch (Exception ex)
        {
            // A throwing predicate is a caller bug: surface it to the awaiting caller instead of the read loop.
            _tcs.TrySetException(ex);
            return;
        }
        if (matches && _tcs.TrySetResult(typed)) _unregister(this);
    }

    void IQmpEventSink.OnClosed(Exception reason) =>
        _tcs.TrySetException(new QmpDisconnectedException($"QMP connection closed while waiting for {_description}.", reason));

    /// <inheritdoc />
    public void Dispose() => _unregister(this);
}

/// <summary>
/// A live subscription to every event, buffered without bound from the moment it is created.
/// Read with <see cref="ReadAllAsync"/>; the stream ends when the connection closes or the subscription is disposed.
/// </summary>
public sealed class QmpEventSubscription : IQmpEventSink, IDisposable
{
    private readonly System.Threading.Channels.Channel<QmpEvent> _channel =
        System.Threading.Channels.Channel.CreateUnbounded<QmpEvent>(new() { SingleReader = true });
    private readonly Action<IQmpEventSink> _unregister;

    internal QmpEventSubscription(Action<IQmpEventSink> unregister) => _unregister = unregister;

    /// <summary>All events received since the subscription was created, in order.</summary>
    public IAsyncEnumerable<QmpEvent> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _channel.Reader.ReadAllAsync(cancellationToken);

    void IQmpEventSink.OnEvent(QmpEvent qmpEvent) => _channel.Writer.TryWrite(qmpEvent);

    void IQmpEventSink.OnClosed(Exception reason) => _channel.Writer.TryComplete();

    /// <inheritdoc />
    public void Dispose()
    {
        _unregister(this);
        _channel.Writer.TryComplete();
    }
}

/// <summary>A callback subscriber (<see cref="QmpClient.Subscribe"/>).</summary>
internal sealed class QmpCallbackSink(Action<QmpEvent> handler, Action<IQmpEventSink> unregister) : IQmpEventSink, IDisposable
{
    public void OnEvent(QmpEvent qmpEvent) => handler(qmpEvent);
    public void OnClosed(Exception reason) { }
    public void Dispose() => unregister(this);
}
