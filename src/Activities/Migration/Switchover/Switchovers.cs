using System.Collections.Concurrent;
using System.Diagnostics;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Switchover;

/// <summary>
/// Switchovers armed by LiveMigrate, by instance id (a singleton registered by <c>AddVmMigration</c>): the moment the
/// source reports <c>pre-switchover</c>, the work starts from the event itself, with no activity boundary, instance
/// commit or journal write before its first command. CompleteMirror takes the result; Rollback abandons it. In memory
/// only: after a host restart nothing is armed and CompleteMirror does the work itself.
/// </summary>
public sealed class Switchovers
{
    private readonly ConcurrentDictionary<string, Armed> _byInstance = new();

    internal void Arm(string instanceId, QmpSession source, Func<long?, CancellationToken, Task<SwitchoverResult>> work)
    {
        var armed = new Armed(work);
        if (_byInstance.TryGetValue(instanceId, out var old)) old.Dispose();
        _byInstance[instanceId] = armed;
        armed.Subscription = source.Client.Subscribe(e =>
        {
            if (e is MigrationEvent { Status: MigrationStatus.PreSwitchover }) armed.Start(Stopwatch.GetTimestamp());
        });
    }

    /// <summary>The switchover of <paramref name="instanceId"/>, started now if its event has not started it yet; null when none is armed.</summary>
    internal Task<SwitchoverResult>? Take(string instanceId)
    {
        if (!_byInstance.TryRemove(instanceId, out var armed)) return null;
        armed.Dispose();
        return armed.Start(null);
    }

    /// <summary>The switchover of <paramref name="instanceId"/> if its event started it already; null otherwise.</summary>
    internal Task<SwitchoverResult>? Started(string instanceId) =>
        _byInstance.TryGetValue(instanceId, out var armed) ? armed.Running : null;

    /// <summary>LiveMigrate failed: nothing may react to a later event (one that already started stays for Rollback to abandon).</summary>
    internal void Disarm(string instanceId)
    {
        if (!_byInstance.TryGetValue(instanceId, out var armed)) return;
        armed.Dispose();
        if (armed.Running is null) _byInstance.TryRemove(instanceId, out _);
    }

    /// <summary>Rollback: disarms, and waits for a switchover already under way to end (its outcome no longer matters: the undo follows).</summary>
    public async Task AbandonAsync(string instanceId, TimeSpan wait)
    {
        if (!_byInstance.TryRemove(instanceId, out var armed)) return;
        armed.Dispose();
        if (armed.Running is not { } running) return;
        await armed.CancelAsync();
        try
        {
            await running.WaitAsync(wait);
        }
        catch (Exception)
        {
            // Rollback looks at what the QEMUs say now; why the switchover failed is in its own result.
        }
    }

    private sealed class Armed(Func<long?, CancellationToken, Task<SwitchoverResult>> work) : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource _cancel = new();
        public IDisposable? Subscription { get; set; }
        public Task<SwitchoverResult>? Running { get; private set; }

        public Task<SwitchoverResult> Start(long? eventAt)
        {
            TaskCompletionSource<SwitchoverResult> started;
            lock (_gate)
            {
                if (Running is { } running) return running; // once, whoever comes first
                started = new TaskCompletionSource<SwitchoverResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                Running = started.Task;
            }
            // On the caller's thread (QMP's reader, for the event) up to the first command's send: a thread-pool hop would
            // wait for a free thread on a busy host, with the guest paused. The work only awaits from there on.
            _ = RunAsync(started, eventAt);
            return started.Task;
        }

        private async Task RunAsync(TaskCompletionSource<SwitchoverResult> started, long? eventAt)
        {
            try
            {
                started.SetResult(await work(eventAt, _cancel.Token));
            }
            catch (OperationCanceledException ex)
            {
                started.SetCanceled(ex.CancellationToken);
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }

        public Task CancelAsync() => _cancel.CancelAsync();

        public void Dispose() => Subscription?.Dispose();
    }
}
