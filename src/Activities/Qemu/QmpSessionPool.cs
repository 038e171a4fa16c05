using System.Collections.Concurrent;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// Process-wide pool of <see cref="QmpSession"/>s keyed by (node, QMP socket path): a connection and its event record
/// live from the first activity that needs them until the migration drops them (Cleanup, Rollback) or QEMU exits.
/// A socket on a <c>local</c> node is opened directly; on an SSH node through <see cref="QmpConnector"/>
/// (<c>ssh node socat - UNIX-CONNECT:path</c>). Local sessions are keyed by the path alone, so every local caller
/// (whatever node name it uses) shares the one connection QEMU serves.
/// </summary>
public sealed class QmpSessionPool(ILoggerFactory? loggerFactory = null) : IAsyncDisposable
{
    // A stale socket of a dead QEMU refuses at once; rollback should not wait long for it.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, QmpSession> _sessions = new();
    private readonly ILoggerFactory _loggers = loggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>The live session for a socket on this machine (a <c>local</c> node).</summary>
    public Task<QmpSession> GetAsync(string socketPath, CancellationToken cancellationToken, TimeSpan? connectTimeout = null) =>
        GetAsync(null, socketPath, cancellationToken, connectTimeout);

    /// <summary>
    /// The live session for <paramref name="socketPath"/> on <paramref name="node"/> (null: this machine), connecting
    /// (or reconnecting after QEMU restarted) when needed.
    /// </summary>
    public async Task<QmpSession> GetAsync(NodeExecutor? node, string socketPath, CancellationToken cancellationToken, TimeSpan? connectTimeout = null)
    {
        var key = Key(node, socketPath);
        if (_sessions.TryGetValue(key, out var live) && live.IsConnected) return live;
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sessions.TryGetValue(key, out live))
            {
                if (live.IsConnected) return live;
                _sessions.TryRemove(key, out _);
                await live.DisposeAsync().ConfigureAwait(false);
            }
            var name = IsLocal(node) ? socketPath : $"{node!.NodeName}:{socketPath}";
            var options = new QmpClientOptions { Name = name, ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10) };
            var logger = _loggers.CreateLogger<QmpClient>();
            var client = IsLocal(node)
                ? await QmpClient.ConnectAsync(socketPath, options, logger, cancellationToken).ConfigureAwait(false)
                : await QmpConnector.ConnectAsync(NodeSocketConnector.For(node!, logger), socketPath, options, logger, cancellationToken).ConfigureAwait(false);
            var session = new QmpSession(name, client);
            _sessions[key] = session;
            return session;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The session if one is connected, else a new one; null when nothing listens on the local socket (QEMU gone).</summary>
    public Task<QmpSession?> TryGetAsync(string socketPath, CancellationToken cancellationToken) => TryGetAsync(null, socketPath, cancellationToken);

    /// <summary>
    /// The session if one is connected, else a new one; null when nothing listens on the socket (QEMU gone). A node
    /// that cannot be reached at all (ssh fails) is an error, not "gone": rollback must not forget a QEMU it cannot see.
    /// </summary>
    public async Task<QmpSession?> TryGetAsync(NodeExecutor? node, string socketPath, CancellationToken cancellationToken)
    {
        var connected = _sessions.TryGetValue(Key(node, socketPath), out var s) && s.IsConnected;
        // Locally a missing file answers at once; on a remote node the connect attempt itself says "no such socket".
        if (IsLocal(node) && !connected && !File.Exists(socketPath)) return null;
        try
        {
            return await GetAsync(node, socketPath, cancellationToken, ProbeTimeout).ConfigureAwait(false);
        }
        catch (QmpDisconnectedException ex) when (ex.InnerException is not NodeSocketException { IsRetryable: false })
        {
            return null;
        }
        catch (QmpTimeoutException)
        {
            return null;
        }
    }

    /// <summary>Closes and forgets the session of a local <paramref name="socketPath"/> (QEMU quit or the migration ended).</summary>
    public Task DropAsync(string socketPath) => DropAsync(null, socketPath);

    /// <summary>Closes and forgets the session of <paramref name="socketPath"/> on <paramref name="node"/>.</summary>
    public async Task DropAsync(NodeExecutor? node, string socketPath)
    {
        if (_sessions.TryRemove(Key(node, socketPath), out var session)) await session.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _sessions.Keys.ToList())
            if (_sessions.TryRemove(key, out var session)) await session.DisposeAsync().ConfigureAwait(false);
    }

    private static bool IsLocal(NodeExecutor? node) => node is null || node.Transport is LocalTransport;

    // Remote sessions are keyed by how the node is reached (user@host:port), not only its name: two inventories may reuse a name.
    private static string Key(NodeExecutor? node, string socketPath) =>
        IsLocal(node) ? socketPath : $"{node!.Transport.Describe()}|{socketPath}";
}
