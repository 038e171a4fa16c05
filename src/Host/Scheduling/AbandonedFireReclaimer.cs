using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// A fire time claimed by a host that died before it recorded it would otherwise be lost: every takeover poll
/// (<see cref="ExpiredLeaseTakeover.PollIntervalKey"/>, default the lease renewal interval) this host looks for claims
/// without a record whose holder is gone by the instance lease rule (<see cref="IWorkflowRuntime.GoneHostsAsync"/>:
/// its lease expired, its row was removed, or its pid is gone on this machine), re-claims each with one conditional
/// UPDATE (of several live hosts one wins) and handles it like its own fire, misfire policy included. A poll that
/// finds no pending claim costs one query.
/// </summary>
public sealed class AbandonedFireReclaimer(
    ScheduleStore store,
    ScheduledFireStarter fires,
    IWorkflowRuntime runtime,
    MigrationEngineOptions engine,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AbandonedFireReclaimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue<TimeSpan?>(ExpiredLeaseTakeover.PollIntervalKey) ?? engine.LeaseRenewInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                await ReclaimAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database away for a moment: the claims wait in the database for the next poll.
                logger.LogWarning(ex, "Looking for fire times whose host died failed; trying again in {Interval}", interval);
            }
        }
    }

    /// <summary>One poll: re-claims and handles every pending claim whose holder is gone; returns how many this host took.</summary>
    internal async Task<int> ReclaimAsync(CancellationToken cancellationToken)
    {
        var pending = await store.ListPendingClaimsAsync(cancellationToken);
        if (pending.Count == 0)
            return 0;
        var me = await runtime.RegisterHostAsync(cancellationToken);
        var gone = await runtime.GoneHostsAsync([.. pending.Select(c => c.Holder).Where(h => h != me).Distinct()], cancellationToken);
        var taken = 0;
        foreach (var claim in pending.Where(c => gone.Contains(c.Holder)))
        {
            if (!await store.ReclaimFireAsync(claim, ScheduleFireClaims.ThisHost, me, cancellationToken))
                continue; // another live host took it, or its host recorded it after all
            taken++;
            logger.LogWarning("Schedule {ScheduleId}: re-claimed fire time {ScheduledFor:O} from {Host}, which died before recording it",
                claim.ScheduleId, claim.ScheduledFor, claim.Host);
            var schedule = await store.FindAsync(claim.ScheduleId, cancellationToken);
            if (schedule is null)
            {
                await store.RecordRunAsync(claim.ScheduleId, claim.ScheduledFor, ScheduleRunOutcomes.Missed, null,
                    $"Claimed by {claim.Host}, which died before starting it; the schedule was deleted since.", cancellationToken);
                continue;
            }
            await fires.HandleAsync(schedule, claim.ScheduledFor, claim.Host, cancellationToken);
        }
        return taken;
    }
}
