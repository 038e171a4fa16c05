using System.Security.Cryptography;
using System.Text;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// Handles one fire time this host has claimed (by Quartz's fire, or re-claimed from a host that died): applies the
/// schedule's misfire policy, starts the migration through <see cref="IMigrationStarter"/> (so the VM lock and node
/// limit hold) and records what happened, which settles the claim.
/// </summary>
public sealed class ScheduledFireStarter(
    ScheduleStore store,
    IMigrationStarter starter,
    IWorkflowInstanceStore instances,
    TimeProvider time,
    IOptions<SchedulingOptions> options,
    ILogger<ScheduledFireStarter> logger)
{
    /// <summary>The instance id a fire time's migration gets: derived from the fire time, so a host that re-claims it can
    /// tell whether the dead host started it before it could record it.</summary>
    public static string InstanceIdOf(string scheduleId, DateTimeOffset scheduledFor) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"schedule-fire|{scheduleId}|{scheduledFor.UtcTicks}")))[..32];

    /// <param name="reclaimedFrom">The dead host whose claim this host took over (null: this host's own fire).</param>
    public async Task HandleAsync(Schedule schedule, DateTimeOffset scheduledFor, string? reclaimedFrom, CancellationToken cancellationToken)
    {
        var scheduleId = schedule.Id;
        var once = schedule.Kind == ScheduleKind.Once;
        var now = time.GetUtcNow();
        var instanceId = InstanceIdOf(scheduleId, scheduledFor);
        if (reclaimedFrom is not null && await instances.GetAsync(instanceId, cancellationToken) is not null)
        {
            // The dead host started it and died before recording it: record it, never start it twice.
            await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Started, instanceId,
                $"Started by {reclaimedFrom}, which died before recording it.", cancellationToken);
            await store.MarkFiredAsync(scheduleId, scheduledFor, once, cancellationToken);
            return;
        }
        if (!MisfireRule.ShouldRun(schedule, scheduledFor, now, options.Value.OnTimeTolerance))
        {
            var why = reclaimedFrom is null ? "Fired" : $"Re-claimed from {reclaimedFrom}, which died before starting it,";
            await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Missed, null,
                $"{why} {now - scheduledFor:g} late; misfire policy {schedule.Misfire} (window {schedule.MisfireWindow:g}) skips it.", cancellationToken);
            await store.MarkFiredAsync(scheduleId, scheduledFor, once, cancellationToken);
            logger.LogWarning("Schedule {ScheduleId}: fire time {ScheduledFor:O} skipped by its misfire policy {Policy}", scheduleId, scheduledFor, schedule.Misfire);
            return;
        }
        try
        {
            var inputs = schedule.Inputs.ToDictionary(p => p.Key, p => p.Value?.DeepClone());
            var result = await starter.StartAsync(
                new StartMigrationRequest(schedule.DefinitionId, inputs, "schedule:" + scheduleId, InstanceId: instanceId), cancellationToken);
            switch (result)
            {
                case StartMigrationResult.Started started:
                    await store.RecordRunAsync(scheduleId, scheduledFor, ScheduleRunOutcomes.Started, started.InstanceId,
                        reclaimedFrom is null ? null : $"Re-claimed from {reclaimedFrom}, which died before starting it.", cancellationToken);
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
