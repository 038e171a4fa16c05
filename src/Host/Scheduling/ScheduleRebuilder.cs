using Microsoft.Extensions.Options;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// On start, rebuilds Quartz's in-memory triggers from <c>host_schedules</c> and decides about fire times missed
/// while the host was down, by each schedule's misfire policy.
/// </summary>
/// <remarks>
/// Why our own table rather than Quartz's ADO job store on SQLite: the schedule is our domain record (definition,
/// inputs, misfire policy, run history) and lives next to definitions and instances in the one SQLite file, with
/// our own versioned schema; Quartz's ADO store would add a dozen QRTZ_ tables with their own schema scripts and
/// serialized job data, and its misfire handling ("fire now" or "do nothing") cannot express "run if at most N
/// minutes late". Rebuilding the RAM store takes milliseconds for the handful of schedules a site has.
/// </remarks>
public sealed class ScheduleRebuilder(
    ScheduleStore store,
    ScheduleTriggers triggers,
    TimeProvider time,
    IOptions<SchedulingOptions> options,
    ILogger<ScheduleRebuilder> logger) : IHostedService
{
    private const int MaxMissedToScan = 100_000;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var schedules = await store.ListAsync(cancellationToken);
        foreach (var schedule in schedules.Where(s => !s.Completed))
        {
            var missed = LastMissedFireTime(schedule, now, out var count);
            if (missed is { } scheduledFor)
            {
                if (MisfireRule.ShouldRun(schedule, scheduledFor, now, options.Value.OnTimeTolerance))
                {
                    logger.LogInformation("Schedule {ScheduleId}: fire time {ScheduledFor:O} was missed while the host was down; policy {Policy} runs it now",
                        schedule.Id, scheduledFor, schedule.Misfire);
                    await triggers.FireNowAsync(schedule, scheduledFor, cancellationToken);
                }
                else
                {
                    await store.RecordRunAsync(schedule.Id, scheduledFor, ScheduleRunOutcomes.Missed, null,
                        $"{count} fire time(s) missed while the host was down (last {scheduledFor:O}); misfire policy {schedule.Misfire} " +
                        $"(window {schedule.MisfireWindow:g}) does not start it late.", cancellationToken);
                    await store.MarkFiredAsync(schedule.Id, scheduledFor, schedule.Kind == ScheduleKind.Once, cancellationToken);
                    logger.LogWarning("Schedule {ScheduleId}: {Count} fire time(s) missed while the host was down; skipped by policy {Policy}",
                        schedule.Id, count, schedule.Misfire);
                }
            }
            await triggers.RegisterAsync(schedule, now, cancellationToken);
        }
        logger.LogInformation("Scheduler rebuilt {Count} schedule(s) from the database", schedules.Count(s => !s.Completed));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The latest fire time at or before <paramref name="now"/> that was never handled, if any.</summary>
    internal static DateTimeOffset? LastMissedFireTime(Schedule schedule, DateTimeOffset now, out int count)
    {
        count = 0;
        if (schedule.Kind == ScheduleKind.Once)
        {
            if (schedule.FireAt is { } at && at <= now && schedule.LastFireTime is null)
            {
                count = 1;
                return at;
            }
            return null;
        }
        var cron = new CronExpression(schedule.Cron!) { TimeZone = ScheduleTriggers.TimeZoneOf(schedule) };
        DateTimeOffset? last = null;
        var from = schedule.LastFireTime ?? schedule.CreatedAt;
        while (count < MaxMissedToScan && cron.GetTimeAfter(from) is { } next && next <= now)
        {
            last = next;
            from = next;
            count++;
        }
        return last;
    }
}
