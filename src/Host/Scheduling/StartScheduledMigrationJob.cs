using System.Globalization;
using Elsa.Migration.Host.Server;
using Microsoft.Extensions.Options;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Thin Quartz job: reads the schedule, applies its misfire policy to the fire time, starts the migration through
/// <see cref="IMigrationStarter"/> (so the VM lock and node limit hold) and records what happened.
/// </summary>
public sealed class StartScheduledMigrationJob(
    ScheduleStore store,
    IMigrationStarter starter,
    TimeProvider time,
    IOptions<SchedulingOptions> options,
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
        if (await store.ClaimFireAsync(scheduleId, scheduledFor, ScheduleFireClaims.ThisHost, cancellationToken) is { } firedOn)
        {
            logger.LogInformation("Schedule {ScheduleId}: fire time {ScheduledFor:O} fired on {Host}", scheduleId, scheduledFor, firedOn);
            return; // another host on this database handles (handled) it
        }
        var once = schedule.Kind == ScheduleKind.Once;
        var now = time.GetUtcNow();
        if (!MisfireRule.ShouldRun(schedule, scheduledFor, now, options.Value.OnTimeTolerance))
        {
            await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Missed, null,
                $"Fired {now - scheduledFor:g} late; misfire policy {schedule.Misfire} (window {schedule.MisfireWindow:g}) skips it.", cancellationToken);
            await store.MarkFiredAsync(scheduleId, scheduledFor, once, cancellationToken);
            logger.LogWarning("Schedule {ScheduleId}: fire time {ScheduledFor:O} skipped by its misfire policy {Policy}", scheduleId, scheduledFor, schedule.Misfire);
            return;
        }
        try
        {
            var inputs = schedule.Inputs.ToDictionary(p => p.Key, p => p.Value?.DeepClone());
            var result = await starter.StartAsync(new StartMigrationRequest(schedule.DefinitionId, inputs, "schedule:" + scheduleId), cancellationToken);
            switch (result)
            {
                case StartMigrationResult.Started started:
                    await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Started, started.InstanceId, null, cancellationToken);
                    logger.LogInformation("Schedule {ScheduleId} started instance {InstanceId} of {DefinitionId}", scheduleId, started.InstanceId, schedule.DefinitionId);
                    break;
                case StartMigrationResult.Refused refused:
                    await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Refused, null, $"{refused.Code}: {refused.Reason}", cancellationToken);
                    logger.LogWarning("Schedule {ScheduleId} could not start {DefinitionId}: {Code} {Reason}", scheduleId, schedule.DefinitionId, refused.Code, refused.Reason);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Recorded where operators look (the schedule's runs) and logged; the next fire time is unaffected.
            await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Failed, null, e.Message, CancellationToken.None);
            logger.LogError(e, "Schedule {ScheduleId} failed to start {DefinitionId}", scheduleId, schedule.DefinitionId);
        }
        await store.MarkFiredAsync(scheduleId, scheduledFor, once, CancellationToken.None);
    }
}
