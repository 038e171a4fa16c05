using System.Collections.Concurrent;
using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Elsa.Migration.Activities.Migration.Steps;

namespace Elsa.Migration.Activities.Migration.Freeze;

/// <summary>
/// Guarantees the thaw: when a guest stays frozen longer than its maximum freeze time (the workflow stalled or the
/// step between freeze and thaw hangs), the watchdog thaws it. ThawGuest disarms it; Rollback thaws from the ledger
/// when the process died.
/// </summary>
public sealed class FreezeWatchdog(QmpSessionPool pool, ILoggerFactory? loggers = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _armed = new();
    private readonly ILogger _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FreezeWatchdog>();

    /// <summary>Fires when a watchdog had to thaw (for the journal of the next activity and for tests).</summary>
    public ConcurrentQueue<string> Fired { get; } = new();

    /// <summary>Thaws the VM behind <paramref name="qmpSocket"/> on <paramref name="node"/> after <paramref name="maxFreeze"/> unless disarmed first.</summary>
    public void Arm(NodeExecutor node, string qmpSocket, string? agentSocket, FreezeMode mode, TimeSpan maxFreeze)
    {
        var cts = new CancellationTokenSource();
        if (_armed.TryRemove(qmpSocket, out var old)) old.Cancel();
        _armed[qmpSocket] = cts;
        _ = FireAsync(node, qmpSocket, agentSocket, mode, maxFreeze, cts.Token);
    }

    /// <summary>Stops the watchdog of <paramref name="qmpSocket"/> (ThawGuest ran).</summary>
    public void Disarm(string qmpSocket)
    {
        if (_armed.TryRemove(qmpSocket, out var cts)) cts.Cancel();
    }

    private async Task FireAsync(NodeExecutor node, string qmpSocket, string? agentSocket, FreezeMode mode, TimeSpan maxFreeze, CancellationToken token)
    {
        try
        {
            await Task.Delay(maxFreeze, token);
            _armed.TryRemove(qmpSocket, out _);
            _logger.LogWarning("Guest behind {Socket} frozen ({Mode}) longer than {Seconds} s: thawing it now", qmpSocket, mode, maxFreeze.TotalSeconds);
            var qmp = await pool.GetAsync(node, qmpSocket, CancellationToken.None);
            await GuestThaw.ThawAsync(qmp, node, agentSocket, mode, CancellationToken.None);
            Fired.Enqueue(qmpSocket);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disarmed: the workflow thawed in time.
        }
        catch (Exception ex) when (ex is QmpDisconnectedException or QmpException or TimeoutException or GuestAgentException or IOException)
        {
            _logger.LogError(ex, "Watchdog could not thaw the guest behind {Socket}; Rollback will retry from the ledger", qmpSocket);
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var key in _armed.Keys.ToList()) Disarm(key);
        return ValueTask.CompletedTask;
    }
}
