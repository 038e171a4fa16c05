using System.Globalization;
using Elsa.Migration.Engine.Runtime;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Thin Quartz job: reads the schedule, claims the fire time for this host (every host on the database fires it; one
/// claim wins) and hands it to <see cref="ScheduledFireStarter"/>.
/// </summary>
public sealed class StartScheduledMigrationJob(
    ScheduleStore store,
    ScheduledFireStarter fires,
    IWorkflowRuntime runtime,
    TimeProvider time,
    ILogger<StartScheduledMigrationJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var scheduleId = context.JobDetail.Key.Name;
        var scheduledFor = context.Trigger.JobDataMap.TryGetString(ScheduleTriggers.ScheduledForKey, out var ms) && ms is not null
            ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture))
            : context.ScheduledFireTimeUtc ?? time.GetUtcNow();
        var schedule = await store.FindAsync(scheduleId, cancellationToken);
        if (schedule is null)
            return; // deleted while its trigger was pending
        // Registered (and renewing) before the claim names it: another host judges the claim by this host's row.
        var holder = await runtime.RegisterHostAsync(cancellationToken);
        if (await store.ClaimFireAsync(scheduleId, scheduledFor, ScheduleFireClaims.ThisHost, holder, cancellationToken) is { } firedOn)
        {
            logger.LogInformation("Schedule {ScheduleId}: fire time {ScheduledFor:O} fired on {Host}", scheduleId, scheduledFor, firedOn);
            return; // another host on this database handles (handled) it
        }
        logger.LogInformation("Schedule {ScheduleId}: claimed fire time {ScheduledFor:O}", scheduleId, scheduledFor);
        await fires.HandleAsync(schedule, scheduledFor, reclaimedFrom: null, cancellationToken);
    }
}
