using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// An asynchronous QMP connection: one read loop, replies matched to requests by id, every event delivered to every
/// subscriber, typed errors, per-command timeouts, and every pending call failed when the connection closes.
/// Typed commands are extension methods (<see cref="QmpBlockCommands"/>, <see cref="QmpMigrationCommands"/>,
/// <see cref="QmpVmCommands"/>); <see cref="ExecuteAsync"/> runs anything else.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Stream _stream;
    private readonly StreamReader _reader;
    private readonly QmpClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, PendingCommand> _pending = new();
    private readonly List<IQmpEventSink> _sinks = [];
    private readonly object _sinksLock = new();
    private readonly CancellationTokenSource _shutdown = new();
    private Task _readLoop = Task.CompletedTask;
    private volatile Exception? _closedReason;
    private long _nextId;
    private int _disposed;

    private QmpClient(Stream stream, QmpClientOptions options, ILogger logger)
    {
        _stream = stream;
        _reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        _options = options;
        _logger = logger;
    }

    /// <summary>QEMU's version from the greeting, e.g. 7.2.22.</summary>
    public Version QemuVersion { get; private set; } = new(0, 0);

    /// <summary>The build's package string from the greeting (distribution version; empty when QEMU gives none).</summary>
    public string QemuPackage { get; private set; } = "";

    /// <summary>False once the read loop ended (QEMU exited, the socket broke, or the client was disposed).</summary>
    public bool IsConnected => _closedReason is null;

    /// <summary>Completes when the read loop ends.</summary>
    public Task Completion => _readLoop;

    /// <summary>Connects to QEMU's QMP UNIX socket, retrying while it does not exist yet, then negotiates capabilities.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, QmpClientOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new QmpClientOptions();
        var deadline = DateTime.UtcNow + options.ConnectTimeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                return await ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, logger, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (DateTime.UtcNow < deadline &&
                ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AddressFamilyNotSupported or SocketError.InvalidArgument)
            {
                socket.Dispose();
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new QmpDisconnectedException($"Cannot connect to QMP socket '{socketPath}': {ex.Message}. Is QEMU running with -qmp unix:{socketPath},server=on,wait=off?", ex);
            }
        }
    }

    /// <summary>Runs QMP over an already connected stream (the seam unit tests use): reads the greeting, sends <c>qmp_capabilities</c>.</summary>
    public static async Task<QmpClient> ConnectAsync(Stream stream, QmpClientOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new QmpClientOptions();
        var client = new QmpClient(stream, options, logger ?? NullLogger.Instance);
        try
        {
            await client.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_options.HandshakeTimeout);
        string? line;
        try
        {
            line = await _reader.ReadLineAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QmpTimeoutException("(greeting)", _options.HandshakeTimeout);
        }
        var greeting = line is null ? null : JsonNode.Parse(line) as JsonObject;
        var qemu = greeting?["QMP"]?["version"]?["qemu"];
        if (qemu is null)
            throw new QmpDisconnectedException($"Expected a QMP greeting, got: {line ?? "(connection closed)"}");
        QemuVersion = new Version(qemu["major"]!.GetValue<int>(), qemu["minor"]!.GetValue<int>(), qemu["micro"]!.GetValue<int>());
        QemuPackage = greeting?["QMP"]?["version"]?["package"]?.GetValue<string>() ?? "";
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
        await ExecuteAsync("qmp_capabilities", null, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        _logger.LogDebug("QMP {Name} connected to QEMU {Version}", _options.Name, QemuVersion);
    }

    /// <summary>
    /// Runs a QMP command and returns its <c>return</c> value. Throws <see cref="QmpException"/> for an error reply,
    /// <see cref="QmpTimeoutException"/> when no reply comes within <paramref name="timeout"/> (default from options),
    /// <see cref="QmpDisconnectedException"/> when the connection closes first.
    /// </summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return (await ExecuteInOrderAsync([new QmpCommand(command, arguments)], timeout, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Sends <paramref name="commands"/> in one write, without waiting for a reply in between, and returns their results
    /// in order. QEMU runs one monitor's commands in the order it reads them: each starts the moment the one before ended,
    /// with no round trip and no other caller's command in between. A failing command does not stop the later ones (QEMU
    /// runs them anyway): every reply is awaited, then the first error is thrown. Errors and timeouts as
    /// <see cref="ExecuteAsync"/>, the timeout for all replies together.
    /// </summary>
    public async Task<IReadOnlyList<JsonNode?>> ExecuteInOrderAsync(IReadOnlyList<QmpCommand> commands, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(commands.Count);
        ThrowIfClosed();
        var sent = new List<(string Id, PendingCommand Pending)>(commands.Count);
        var requests = new List<JsonObject>(commands.Count);
        foreach (var command in commands)
        {
            var id = "elsa-" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var pending = new PendingCommand(command.Name, new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously));
            _pending[id] = pending;
            sent.Add((id, pending));
            var request = new JsonObject { ["execute"] = command.Name, ["id"] = id };
            if (command.Arguments is not null) request["arguments"] = command.Arguments.DeepClone();
            requests.Add(request);
        }
        // The loop may have closed between the check and the registration: make sure these calls are failed too.
        if (_closedReason is { } closed) FailPending(closed);

        var effectiveTimeout = timeout ?? _options.CommandTimeout;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(effectiveTimeout);
        var waiting = commands[0].Name;
        try
        {
            await WriteAsync(requests, timeoutCts.Token).ConfigureAwait(false);
            var results = new JsonNode?[sent.Count];
            Exception? firstError = null;
            for (var i = 0; i < sent.Count; i++)
            {
                waiting = sent[i].Pending.Command;
                try
                {
                    results[i] = await sent[i].Pending.Completion.Task.WaitAsync(timeoutCts.Token).ConfigureAwait(false);
                }
                catch (QmpException ex)
                {
                    firstError ??= ex;
                }
            }
            if (firstError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstError);
            return results;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QmpTimeoutException(waiting, effectiveTimeout);
        }
        catch (IOException ex)
        {
            throw new QmpDisconnectedException($"QMP connection broke while sending '{string.Join("', '", commands.Select(c => c.Name))}'.", ex);
        }
        finally
        {
            foreach (var (id, _) in sent) _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Registers an expectation of the first event of type <typeparamref name="T"/> matching <paramref name="predicate"/>.
    /// Call it before the command that triggers the event, then await <see cref="QmpEventWaiter{T}.WaitAsync"/>.
    /// </summary>
    public QmpEventWaiter<T> ExpectEvent<T>(Func<T, bool>? predicate = null, string? description = null) where T : QmpEvent
    {
        var waiter = new QmpEventWaiter<T>(predicate, Unregister, description);
        Register(waiter);
        return waiter;
    }

    /// <summary>Runs <paramref name="trigger"/> with the expectation already registered, then waits for the event.</summary>
    public async Task<T> WaitForEventAsync<T>(Func<Task> trigger, Func<T, bool>? predicate, TimeSpan timeout, CancellationToken cancellationToken = default) where T : QmpEvent
    {
        using var waiter = ExpectEvent(predicate);
        await trigger().ConfigureAwait(false);
        return await waiter.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Buffers every event from now on; read it with <see cref="QmpEventSubscription.ReadAllAsync"/>.</summary>
    public QmpEventSubscription SubscribeEvents()
    {
        var subscription = new QmpEventSubscription(Unregister);
        Register(subscription);
        return subscription;
    }

    /// <summary>Calls <paramref name="handler"/> on the read loop for every event; keep it short. Dispose to stop.</summary>
    public IDisposable Subscribe(Action<QmpEvent> handler)
    {
        var sink = new QmpCallbackSink(handler, Unregister);
        Register(sink);
        return sink;
    }

    private void Register(IQmpEventSink sink)
    {
        lock (_sinksLock)
        {
            if (_closedReason is null)
            {
                _sinks.Add(sink);
                return;
            }
        }
        sink.OnClosed(_closedReason);
    }

    private void Unregister(IQmpEventSink sink)
    {
        lock (_sinksLock) _sinks.Remove(sink);
    }

    private async Task WriteAsync(IReadOnlyList<JsonObject> messages, CancellationToken cancellationToken)
    {
        // One write, each command with its newline: QEMU runs a command as soon as its JSON object is complete, so after
        // `quit` a separate newline would hit a closed socket (over SSH the relay's socat then fails and the reply is lost).
        using var buffer = new MemoryStream();
        foreach (var message in messages)
        {
            JsonSerializer.Serialize(buffer, message);
            buffer.Write(NewLine);
        }
        var bytes = buffer.ToArray();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception reason = new QmpDisconnectedException($"QMP connection '{_options.Name}' closed by QEMU.");
        try
        {
            while (true)
            {
                var line = await _reader.ReadLineAsync(_shutdown.Token).ConfigureAwait(false);
                if (line is null) break;
                if (line.Length == 0) continue;
                Dispatch(line);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            reason = new QmpDisconnectedException($"QMP connection '{_options.Name}' was disposed.");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            reason = new QmpDisconnectedException($"QMP connection '{_options.Name}' broke: {ex.Message}", ex);
        }
        Close(reason);
    }

    private void Dispatch(string line)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException ex)
        {
            _logger.LogWarning(ex, "QMP {Name}: ignoring a line that is not JSON: {Line}", _options.Name, line);
            return;
        }
        if (message is null) return;

        if (message.ContainsKey("event"))
        {
            var qmpEvent = QmpEventParser.Parse(message);
            _logger.LogDebug("QMP {Name} event {Event} {Data}", _options.Name, qmpEvent.Name, qmpEvent.Data.ToJsonString());
            IQmpEventSink[] sinks;
            lock (_sinksLock) sinks = [.. _sinks];
            foreach (var sink in sinks)
            {
                try
                {
                    sink.OnEvent(qmpEvent);
                }
                catch (Exception ex)
                {
                    // One faulty subscriber must not stop delivery to the others or kill the read loop.
                    _logger.LogError(ex, "QMP {Name}: an event subscriber threw on {Event}", _options.Name, qmpEvent.Name);
                }
            }
            return;
        }

        var id = message["id"]?.ToString();
        if (id is null || !_pending.TryGetValue(id, out var pending))
        {
            _logger.LogWarning("QMP {Name}: reply for no pending command (late after a timeout?): {Line}", _options.Name, line);
            return;
        }
        if (message["error"] is JsonObject error)
        {
            pending.Completion.TrySetException(new QmpException(pending.Command,
                error["class"]?.GetValue<string>() ?? "Unknown", error["desc"]?.GetValue<string>() ?? ""));
        }
        else
        {
            pending.Completion.TrySetResult(message["return"]?.DeepClone());
        }
    }

    private void Close(Exception reason)
    {
        IQmpEventSink[] sinks;
        lock (_sinksLock)
        {
            _closedReason ??= reason;
            sinks = [.. _sinks];
            _sinks.Clear();
        }
        FailPending(_closedReason);
        foreach (var sink in sinks) sink.OnClosed(_closedReason);
        _logger.LogDebug("QMP {Name} closed: {Reason}", _options.Name, _closedReason.Message);
    }

    private void FailPending(Exception reason)
    {
        foreach (var (id, pending) in _pending)
        {
            if (_pending.TryRemove(id, out _))
                pending.Completion.TrySetException(new QmpDisconnectedException(
                    $"QMP command '{pending.Command}' got no reply: {reason.Message}", reason));
        }
    }

    private void ThrowIfClosed()
    {
        if (_closedReason is { } reason) throw new QmpDisconnectedException(reason.Message, reason);
    }

    /// <summary>Closes the connection; pending calls fail with <see cref="QmpDisconnectedException"/>. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _shutdown.Cancel();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        finally
        {
            Close(new QmpDisconnectedException($"QMP connection '{_options.Name}' was disposed."));
            _reader.Dispose();
            await _stream.DisposeAsync().ConfigureAwait(false);
            _shutdown.Dispose();
            _writeLock.Dispose();
        }
    }

    private sealed record PendingCommand(string Command, TaskCompletionSource<JsonNode?> Completion);
}
