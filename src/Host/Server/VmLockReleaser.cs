using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Server;

/// <summary>Releases an instance's VM lock as soon as the runtime commits its end (stale locks of instances run by
/// another process are removed at the next acquisition instead).</summary>
public sealed class VmLockReleaser(IWorkflowEventStream events, VmLockStore locks, ILogger<VmLockReleaser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = events.Subscribe();
        try
        {
            await foreach (var e in subscription.ReadAllAsync(stoppingToken))
            {
                if (e is StatusChanged { Status: var status } && status.IsTerminal())
                {
                    await locks.ReleaseAsync(e.InstanceId, stoppingToken);
                    logger.LogDebug("Released the VM lock of instance {InstanceId} ({Status})", e.InstanceId, status);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: locks of instances still running stay, so the VM remains protected until they end.
        }
    }
}
