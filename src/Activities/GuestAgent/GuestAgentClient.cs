using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.GuestAgent;

/// <summary>
/// Client of <c>qemu-ga</c> through QEMU's virtio-serial chardev socket. One command at a time (the agent is
/// strictly request/reply and has no events). Every new connection, and every connection after a timeout, is first
/// resynchronised with <c>guest-sync-delimited</c>, which discards late replies and partial input on both sides: that
/// is what makes the client safe when the agent restarts inside the guest or a reply comes after its deadline.
/// A broken connection is dropped and the next call reconnects.
/// </summary>
public sealed class GuestAgentClient : IAsyncDisposable
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _connect;
    private readonly string _endpoint;
    private readonly GuestAgentClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Stream? _stream;
    private GuestAgentFrameReader? _reader;
    private bool _synced;
    private long _nextId;
    private bool _disposed;

    /// <summary>Creates a client over any stream (the seam unit tests use); nothing connects until the first call.</summary>
    /// <param name="connect">Opens a fresh connection to the agent; called again after a connection broke.</param>
    /// <param name="endpoint">What the connection is, for messages (e.g. the socket path).</param>
    /// <param name="options">Timeouts; <see cref="GuestAgentClientOptions.Default"/> when null.</param>
    /// <param name="logger">Debug logs of connects, syncs and skipped stale replies.</param>
    public GuestAgentClient(Func<CancellationToken, ValueTask<Stream>> connect, string endpoint,
        GuestAgentClientOptions? options = null, ILogger<GuestAgentClient>? logger = null)
    {
        _connect = connect;
        _endpoint = endpoint;
        _options = options ?? GuestAgentClientOptions.Default;
        _logger = logger ?? NullLogger<GuestAgentClient>.Instance;
    }

    /// <summary>A client of the chardev UNIX socket QEMU serves (<c>-chardev socket,path=...,server=on,wait=off</c>).</summary>
    public static GuestAgentClient ForUnixSocket(string socketPath, GuestAgentClientOptions? options = null,
        ILogger<GuestAgentClient>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
        if (Encoding.UTF8.GetByteCount(socketPath) > 107)
        {
            throw new ArgumentException($"guest agent socket path is longer than 107 bytes: {socketPath}", nameof(socketPath));
        }

        return new GuestAgentClient(ct => ConnectUnixAsync(socketPath, ct), socketPath, options, logger);
    }

    /// <summary>Resynchronises with <c>guest-sync-delimited</c> (connecting first if needed).</summary>
    public async Task SyncAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await GuardConnectionAsync("guest-sync-delimited", async () =>
            {
                await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                await SyncCoreAsync(cancellationToken).ConfigureAwait(false);
                return default(JsonElement);
            }).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary><c>guest-ping</c>: succeeds when the agent answers (also while frozen).</summary>
    public async Task PingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await ExecuteAsync("guest-ping", timeout, cancellationToken).ConfigureAwait(false);

    /// <summary><c>guest-fsfreeze-freeze</c>: freezes every guest filesystem; returns how many were frozen.</summary>
    public async Task<int> FreezeAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ReadInt32("guest-fsfreeze-freeze", await ExecuteAsync("guest-fsfreeze-freeze", timeout, cancellationToken).ConfigureAwait(false));

    /// <summary><c>guest-fsfreeze-thaw</c>: thaws every frozen filesystem; returns how many were thawed.</summary>
    public async Task<int> ThawAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ReadInt32("guest-fsfreeze-thaw", await ExecuteAsync("guest-fsfreeze-thaw", timeout, cancellationToken).ConfigureAwait(false));

    /// <summary><c>guest-fsfreeze-status</c>.</summary>
    public async Task<GuestFsFreezeStatus> GetFreezeStatusAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var result = await ExecuteAsync("guest-fsfreeze-status", timeout, cancellationToken).ConfigureAwait(false);
        var text = result.ValueKind == JsonValueKind.String ? result.GetString() : result.GetRawText();
        return text switch
        {
            "thawed" => GuestFsFreezeStatus.Thawed,
            "frozen" => GuestFsFreezeStatus.Frozen,
            _ => throw new GuestAgentException(
                $"guest-fsfreeze-status on {_endpoint} returned '{text}', expected 'thawed' or 'frozen'", "guest-fsfreeze-status"),
        };
    }

    /// <summary><c>guest-info</c>: agent version and supported commands.</summary>
    public async Task<GuestAgentInfo> GetInfoAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var result = await ExecuteAsync("guest-info", timeout, cancellationToken).ConfigureAwait(false);
        try
        {
            var commands = result.GetProperty("supported_commands").EnumerateArray()
                .Select(c => new GuestAgentCommandInfo(
                    c.GetProperty("name").GetString() ?? "",
                    c.GetProperty("enabled").GetBoolean(),
                    c.GetProperty("success-response").GetBoolean()))
                .ToList();
            return new GuestAgentInfo(result.GetProperty("version").GetString() ?? "", commands);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
        {
            throw new GuestAgentException($"guest-info on {_endpoint} returned an unexpected shape: {result.GetRawText()}",
                "guest-info", innerException: e);
        }
    }

    /// <summary>Closes the connection; a command still waiting fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Disposing the stream first aborts a read that is still waiting, so the gate is released soon.
        if (_stream is { } stream)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        _stream = null;
        _reader = null;
        _gate.Release();
    }

    private async Task<JsonElement> ExecuteAsync(string command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var limit = timeout ?? _options.CommandTimeout;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await GuardConnectionAsync(command, async () =>
            {
                await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
                if (!_synced)
                {
                    await SyncCoreAsync(cancellationToken).ConfigureAwait(false);
                }

                return await ExchangeAsync(command, limit, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<JsonElement> ExchangeAsync(string command, TimeSpan limit, CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await WriteAsync(GuestAgentRequest.Encode(command, id), deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var line = await _reader!.ReadLineAsync(deadline.Token).ConfigureAwait(false);
                var reply = GuestAgentReply.Parse(line, _endpoint, command);
                if (reply is null || (reply.Id is { } replyId && replyId != id))
                {
                    // A blank line or a reply to an earlier request: not ours.
                    _logger.LogDebug("Guest agent {Endpoint}: skipped a line that is not the reply to {Command} #{Id}", _endpoint, command, id);
                    continue;
                }

                if (reply.ErrorClass is not null)
                {
                    throw new GuestAgentException(
                        $"the guest agent at {_endpoint} refused {command}: {reply.ErrorClass}: {reply.ErrorDescription}",
                        command, reply.ErrorClass, reply.ErrorDescription);
                }

                return reply.Result;
            }
        }
        catch (OperationCanceledException)
        {
            // The reply may still come: resynchronise before the next command so it is discarded.
            _synced = false;
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new GuestAgentTimeoutException(
                $"the guest agent at {_endpoint} did not answer {command} within {limit.TotalMilliseconds:0} ms " +
                "(guest paused or overloaded, or qemu-ga not running); the command may still take effect in the guest",
                command, limit);
        }
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null)
        {
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ConnectTimeout);
        try
        {
            _stream = await _connect(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GuestAgentTimeoutException(
                $"connecting to the guest agent at {_endpoint} took longer than {_options.ConnectTimeout.TotalMilliseconds:0} ms",
                "connect", _options.ConnectTimeout);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new GuestAgentException(
                $"cannot connect to the guest agent at {_endpoint}: {e.Message}. Is the VM running with " +
                "'-chardev socket,path=...,server=on,wait=off' and a virtserialport named org.qemu.guest_agent.0?",
                "connect", innerException: e);
        }

        _reader = new GuestAgentFrameReader(_stream);
        _synced = false;
        _logger.LogDebug("Guest agent {Endpoint}: connected", _endpoint);
    }

    private async Task SyncCoreAsync(CancellationToken cancellationToken)
    {
        var syncId = Random.Shared.NextInt64(1, int.MaxValue);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.SyncTimeout);
        try
        {
            // The leading 0xFF makes the agent drop any partial input (it answers that byte with a JSON parse error
            // line); its reply is then "\xff{"return": ID}". Everything before that 0xFF is stale and skipped.
            await WriteAsync(GuestAgentRequest.EncodeSync(syncId), deadline.Token).ConfigureAwait(false);
            while (true)
            {
                var skipped = await _reader!.SkipPastDelimiterAsync(deadline.Token).ConfigureAwait(false);
                var line = await _reader.ReadLineAsync(deadline.Token).ConfigureAwait(false);
                if (GuestAgentReply.IsSyncReply(line, syncId))
                {
                    _synced = true;
                    _logger.LogDebug("Guest agent {Endpoint}: synchronised (skipped {Bytes} bytes)", _endpoint, skipped);
                    return;
                }

                _logger.LogDebug("Guest agent {Endpoint}: skipped a stale sync reply", _endpoint);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GuestAgentTimeoutException(
                $"the guest agent at {_endpoint} did not answer guest-sync-delimited within " +
                $"{_options.SyncTimeout.TotalMilliseconds:0} ms: is the guest running (not paused) with qemu-ga started, " +
                "and no other client connected to this socket (QEMU serves one client at a time)?",
                "guest-sync-delimited", _options.SyncTimeout);
        }
    }

    private async Task<JsonElement> GuardConnectionAsync(string command, Func<Task<JsonElement>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException && !_disposed)
        {
            await DropConnectionAsync().ConfigureAwait(false);
            throw new GuestAgentException(
                $"the connection to the guest agent at {_endpoint} broke during {command}: {e.Message}; the next call reconnects",
                command, innerException: e);
        }
    }

    private async Task DropConnectionAsync()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            _reader = null;
            _synced = false;
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _stream!.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private int ReadInt32(string command, JsonElement result) =>
        result.ValueKind == JsonValueKind.Number && result.TryGetInt32(out var value)
            ? value
            : throw new GuestAgentException($"{command} on {_endpoint} returned {result.GetRawText()}, expected a number", command);

    private static async ValueTask<Stream> ConnectUnixAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
