using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// A live <c>serve</c> takes over what a dead host left: every <c>Leases:TakeoverPollInterval</c> (default: the engine's
/// <see cref="MigrationEngineOptions.LeaseRenewInterval"/>) it asks for Running instances whose lease expired (or whose
/// holder ran on this machine and is gone) and recovers each through the same <see cref="InterruptedInstanceRecovery"/>
/// as <c>recover</c>; the taken-over journal line names this host and why. A poll that finds none costs one query.
/// </summary>
public sealed class ExpiredLeaseTakeover(InterruptedInstanceRecovery recovery, MigrationEngineOptions engine, IConfiguration configuration,
    TimeProvider time, ILogger<ExpiredLeaseTakeover> logger) : BackgroundService
{
    /// <summary>The configuration key of the poll interval (a TimeSpan, e.g. <c>00:00:02</c>).</summary>
    public const string PollIntervalKey = "Leases:TakeoverPollInterval";

    /// <summary>How often this host looks for instances to take over.</summary>
    public TimeSpan PollInterval => configuration.GetValue<TimeSpan?>(PollIntervalKey) ?? engine.LeaseRenewInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = PollInterval;
        if (interval <= TimeSpan.Zero)
            throw new InvalidOperationException($"{PollIntervalKey} must be above zero (it is {interval}).");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                var outcome = await recovery.TakeOverExpiredAsync(stoppingToken);
                foreach (var instance in outcome.Recovered)
                    logger.LogWarning("Took over instance {InstanceId} ({Definition}) from a host that stopped renewing its lease: {Decision}",
                        instance.InstanceId, instance.DefinitionName, instance.Summary);
                foreach (var (instanceId, error) in outcome.Failed)
                    logger.LogError("Could not take over instance {InstanceId}: {Error}", instanceId, error);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database away for a moment: the next poll tries again; the instances wait in the database.
                logger.LogWarning(ex, "Looking for instances to take over failed; trying again in {Interval}", interval);
            }
        }
    }
}
