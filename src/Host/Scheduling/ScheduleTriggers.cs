using Quartz;
using Quartz.Spi;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Puts a schedule into Quartz's (in-memory) scheduler: one durable job per schedule, keyed by its id.</summary>
public sealed class ScheduleTriggers(ISchedulerFactory schedulers)
{
    internal const string Group = "schedules";
    internal const string ScheduledForKey = "scheduledFor";

    /// <summary>Adds the schedule's regular trigger (a one-shot in the past gets none: the rebuilder decides about it).</summary>
    public async Task RegisterAsync(Schedule schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await EnsureJobAsync(scheduler, schedule.Id, cancellationToken);
        if (BuildTrigger(schedule, now) is { } trigger)
            await scheduler.ScheduleJob(trigger, cancellationToken);
    }

    /// <summary>
    /// Why the schedule's trigger can never fire (a cron whose years are all past, or beyond Quartz's range, an
    /// expression or time zone Quartz refuses), or null when it fires. The same check Quartz makes in
    /// <c>ScheduleJob</c> ("will never fire"), made before anything is stored.
    /// </summary>
    public static string? WhyNeverFires(Schedule schedule, DateTimeOffset now)
    {
        try
        {
            if (BuildTrigger(schedule, now) is IOperableTrigger trigger && trigger.ComputeFirstFireTimeUtc(null) is null)
                return $"cron '{schedule.Cron}' has no fire time after {now:O}: it would never fire.";
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or SchedulerException or TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return $"Quartz cannot schedule it: {e.Message}";
        }
    }

    private static ITrigger? BuildTrigger(Schedule schedule, DateTimeOffset now) => schedule.Kind switch
    {
        ScheduleKind.Once when schedule.FireAt > now => TriggerBuilder.Create()
            .WithIdentity(schedule.Id, Group).ForJob(schedule.Id, Group)
            .StartAt(schedule.FireAt.Value)
            // Fired late by Quartz itself (busy threads): run the job anyway; the job applies the schedule's misfire policy.
            .WithSimpleSchedule(s => s.WithMisfireHandlingInstructionFireNow())
            .Build(),
        ScheduleKind.Cron => TriggerBuilder.Create()
            .WithIdentity(schedule.Id, Group).ForJob(schedule.Id, Group)
            .StartAt(now)
            .WithCronSchedule(schedule.Cron!, c =>
            {
                c.InTimeZone(TimeZoneOf(schedule));
                if (schedule.Misfire == MisfirePolicy.RunIfLate)
                    c.WithMisfireHandlingInstructionFireAndProceed();
                else
                    c.WithMisfireHandlingInstructionDoNothing();
            })
            .Build(),
        _ => null,
    };

    /// <summary>Fires the schedule's job now for a fire time that was missed (the misfire policy allowed it).</summary>
    public async Task FireNowAsync(Schedule schedule, DateTimeOffset scheduledFor, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await EnsureJobAsync(scheduler, schedule.Id, cancellationToken);
        await scheduler.ScheduleJob(TriggerBuilder.Create()
            .WithIdentity(schedule.Id + ":catch-up:" + scheduledFor.ToUnixTimeMilliseconds(), Group).ForJob(schedule.Id, Group)
            .UsingJobData(ScheduledForKey, scheduledFor.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture))
            .StartNow()
            .Build(), cancellationToken);
    }

    /// <summary>Removes the schedule's job and all its triggers.</summary>
    public async Task UnregisterAsync(string scheduleId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.DeleteJob(new JobKey(scheduleId, Group), cancellationToken);
    }

    /// <summary>True when Quartz has a job for the schedule.</summary>
    public async Task<bool> IsRegisteredAsync(string scheduleId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return await scheduler.CheckExists(new JobKey(scheduleId, Group), cancellationToken);
    }

    /// <summary>The ids of the schedules Quartz has jobs for.</summary>
    public async Task<IReadOnlyList<string>> RegisteredAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var keys = await scheduler.GetJobKeys(Quartz.Impl.Matchers.GroupMatcher<JobKey>.GroupEquals(Group), cancellationToken);
        return [.. keys.Select(k => k.Name)];
    }

    /// <summary>The time zone of a cron schedule (UTC when none is given).</summary>
    public static TimeZoneInfo TimeZoneOf(Schedule schedule) =>
        string.IsNullOrEmpty(schedule.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);

    private static async Task EnsureJobAsync(IScheduler scheduler, string scheduleId, CancellationToken cancellationToken)
    {
        var key = new JobKey(scheduleId, Group);
        if (await scheduler.CheckExists(key, cancellationToken))
            return;
        await scheduler.AddJob(JobBuilder.Create<StartScheduledMigrationJob>().WithIdentity(key).StoreDurably().Build(),
            replace: false, cancellationToken);
    }
}
