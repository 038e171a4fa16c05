using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// One live QMP connection kept between activities, with every event it received numbered and remembered, so an event
/// that QEMU emitted after one activity ended and before the next one started waiting is still seen.
/// Waiters look at the recorded events first (from a sequence number), then at new ones.
/// </summary>
public sealed class QmpSession : IAsyncDisposable
{
    private const int MaxRecorded = 4096;
    private readonly object _lock = new();
    private readonly List<(long Seq, QmpEvent Event)> _events = [];
    private readonly List<Waiter> _waiters = [];
    private readonly IDisposable _subscription;
    private long _seq;
    private Exception? _closed;

    internal QmpSession(string socketPath, QmpClient client)
    {
        SocketPath = socketPath;
        Client = client;
        _subscription = client.Subscribe(OnEvent);
        _ = client.Completion.ContinueWith(t => OnClosed(t.Exception ?? (Exception)new QmpDisconnectedException($"QMP connection to {socketPath} closed.")),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The QMP socket, as <c>node:path</c> for a node reached over SSH (for messages).</summary>
    public string SocketPath { get; }

    /// <summary>Identifies this connection: a sequence number is meaningful only on the session that produced it.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>A mark of "now" to store in the plan before issuing a command whose event a later activity awaits.</summary>
    public string Mark() => $"{Id}:{LastSequence}";

    /// <summary>The sequence number of a stored mark on this session; 0 (all recorded events) when it came from another session.</summary>
    public long SequenceOf(string? mark) =>
        mark is not null && mark.Split(':') is [var id, var seq] && id == Id && long.TryParse(seq, out var n) ? n : 0;
    public QmpClient Client { get; }
    public bool IsConnected => Client.IsConnected;

    /// <summary>The sequence number of the newest recorded event (0 when none): pass it to <see cref="WaitForEventAsync{T}"/> to see only later events.</summary>
    public long LastSequence { get { lock (_lock) return _seq; } }

    /// <summary>Runs a QMP command.</summary>
    public Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
        Client.ExecuteAsync(command, arguments, timeout, cancellationToken);

    /// <summary>Recorded events after <paramref name="afterSequence"/>, oldest first.</summary>
    public IReadOnlyList<QmpEvent> EventsSince(long afterSequence)
    {
        lock (_lock) return _events.Where(e => e.Seq > afterSequence).Select(e => e.Event).ToList();
    }

    /// <summary>
    /// The first event of type <typeparamref name="T"/> matching <paramref name="predicate"/> recorded after
    /// <paramref name="afterSequence"/>, already received or still to come. Throws <see cref="QmpEventTimeoutException"/>
    /// after <paramref name="timeout"/> and <see cref="QmpDisconnectedException"/> when QEMU goes away first.
    /// </summary>
    public async Task<T> WaitForEventAsync<T>(long afterSequence, Func<T, bool> predicate, TimeSpan timeout, string description, CancellationToken cancellationToken)
        where T : QmpEvent
    {
        Waiter waiter;
        lock (_lock)
        {
            foreach (var (seq, ev) in _events)
                if (seq > afterSequence && ev is T typed && predicate(typed)) return typed;
            if (_closed is not null)
                throw new QmpDisconnectedException($"QMP connection {SocketPath} is closed while waiting for {description}: {_closed.Message}", _closed);
            waiter = new Waiter(e => e is T t && predicate(t));
            _waiters.Add(waiter);
        }
        try
        {
            return (T)await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!waiter.Completion.Task.IsCompleted)
        {
            throw new QmpEventTimeoutException(description, timeout);
        }
        catch (QmpDisconnectedException ex)
        {
            throw new QmpDisconnectedException($"QEMU at {SocketPath} went away while waiting for {description}.", ex);
        }
        finally
        {
            lock (_lock) _waiters.Remove(waiter);
        }
    }

    private void OnEvent(QmpEvent qmpEvent)
    {
        List<Waiter> hit = [];
        lock (_lock)
        {
            _events.Add((++_seq, qmpEvent));
            if (_events.Count > MaxRecorded) _events.RemoveRange(0, _events.Count - MaxRecorded);
            foreach (var w in _waiters)
                if (w.Matches(qmpEvent)) hit.Add(w);
            foreach (var w in hit) _waiters.Remove(w);
        }
        foreach (var w in hit) w.Completion.TrySetResult(qmpEvent);
    }

    private void OnClosed(Exception reason)
    {
        List<Waiter> all;
        lock (_lock)
        {
            _closed ??= reason;
            all = [.. _waiters];
            _waiters.Clear();
        }
        foreach (var w in all)
            w.Completion.TrySetException(new QmpDisconnectedException($"QMP connection {SocketPath} closed: {reason.Message}", reason));
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        await Client.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Waiter(Func<QmpEvent, bool> matches)
    {
        public Func<QmpEvent, bool> Matches { get; } = matches;
        public TaskCompletionSource<QmpEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
