using System.Collections.Concurrent;
using Elsa.Migration.Activities.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Process-wide pool of <see cref="QmpSession"/>s keyed by QMP socket path: a connection and its event record live
/// from the first activity that needs them until the migration drops them (Cleanup, Rollback) or QEMU exits.
/// </summary>
public sealed class QmpSessionPool(ILoggerFactory? loggerFactory = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, QmpSession> _sessions = new();
    private readonly ILoggerFactory _loggers = loggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>The live session for <paramref name="socketPath"/>, connecting (or reconnecting after QEMU restarted) when needed.</summary>
    public async Task<QmpSession> GetAsync(string socketPath, CancellationToken cancellationToken, TimeSpan? connectTimeout = null)
    {
        if (_sessions.TryGetValue(socketPath, out var live) && live.IsConnected) return live;
        var gate = _locks.GetOrAdd(socketPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sessions.TryGetValue(socketPath, out live))
            {
                if (live.IsConnected) return live;
                _sessions.TryRemove(socketPath, out _);
                await live.DisposeAsync().ConfigureAwait(false);
            }
            var options = new QmpClientOptions { Name = socketPath, ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10) };
            var client = await QmpClient.ConnectAsync(socketPath, options, _loggers.CreateLogger<QmpClient>(), cancellationToken).ConfigureAwait(false);
            var session = new QmpSession(socketPath, client);
            _sessions[socketPath] = session;
            return session;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The session if one is connected, else a new one; null when nothing listens on the socket (QEMU gone).</summary>
    public async Task<QmpSession?> TryGetAsync(string socketPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(socketPath) && !(_sessions.TryGetValue(socketPath, out var s) && s.IsConnected)) return null;
        try
        {
            // Short: a stale socket of a dead QEMU refuses at once, and rollback should not wait long for it.
            return await GetAsync(socketPath, cancellationToken, TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
        catch (QmpDisconnectedException)
        {
            return null;
        }
        catch (QmpTimeoutException)
        {
            return null;
        }
    }

    /// <summary>Closes and forgets the session of <paramref name="socketPath"/> (QEMU quit or the migration ended).</summary>
    public async Task DropAsync(string socketPath)
    {
        if (_sessions.TryRemove(socketPath, out var session)) await session.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _sessions.Keys.ToList()) await DropAsync(key).ConfigureAwait(false);
    }
}
