using Quartz;
using Quartz.Extensibility;

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
            await scheduler.ScheduleJob(trigger, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Why the schedule's trigger can never fire (a cron whose years are all past, or beyond Quartz's range, an
    /// expression or time zone Quartz refuses), or null when it fires. The same check Quartz makes in
    /// <c>ScheduleJob</c> ("will never fire"), made before anything is stored.
    /// </summary>
    public static string? WhyNeverFires(Schedule schedule, DateTimeOffset now)
    {
        if (schedule.Kind == ScheduleKind.Cron && NamesOnlyYearsBeyondQuartz(schedule.Cron!, now))
            return $"cron '{schedule.Cron}' names only years beyond those Quartz schedules (about a century ahead): it would never fire.";
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

    /// <summary>
    /// True for a cron that is well formed but whose year field starts every range after the last year Quartz reads.
    /// Quartz 4 refuses such a year as a format error (Quartz 3 parsed it and found no fire time); either way the
    /// schedule can never fire, and it is reported as such rather than as a malformed expression.
    /// </summary>
    public static bool NamesOnlyYearsBeyondQuartz(string cron, DateTimeOffset now)
    {
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 7 || !CronExpression.TryParse(string.Join(' ', fields[..6]), out _))
            return false;
        // Each comma-separated part of the year field is a year, a range or a step; its first year is its earliest.
        return fields[6].Split(',').All(part =>
            int.TryParse(part.Split('-', '/')[0], System.Globalization.CultureInfo.InvariantCulture, out var year)
            && year > now.Year && !CronExpression.TryParse($"0 0 0 1 1 ? {year}", out _));
    }

    private static ITrigger? BuildTrigger(Schedule schedule, DateTimeOffset now) => schedule.Kind switch
    {
        ScheduleKind.Once when schedule.FireAt > now => TriggerBuilder.Create()
            .WithIdentity(schedule.Id, Group).ForJob(schedule.Id, Group)
            .StartAt(schedule.FireAt.Value)
            // Fired late by Quartz itself (busy threads): run the job anyway; the job applies the schedule's misfire policy.
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build(),
        ScheduleKind.Cron => TriggerBuilder.Create()
            .WithIdentity(schedule.Id, Group).ForJob(schedule.Id, Group)
            .StartAt(now)
            .WithCronSchedule(schedule.Cron!, c =>
            {
                c.InTimeZone(TimeZoneOf(schedule));
                c.WithMisfireInstruction(schedule.Misfire == MisfirePolicy.RunIfLate
                    ? CronTriggerMisfireInstruction.FireAndProceed
                    : CronTriggerMisfireInstruction.DoNothing);
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
            .Build(), cancellationToken: cancellationToken);
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
        return await scheduler.Exists(new JobKey(scheduleId, Group), cancellationToken);
    }

    /// <summary>The ids of the schedules Quartz has jobs for.</summary>
    public async Task<IReadOnlyList<string>> RegisteredAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var jobs = await scheduler.QueryJobs(new JobQuery { Group = GroupMatcher<JobKey>.GroupEquals(Group), Take = PagedQuery.All }, cancellationToken);
        return [.. jobs.Items.Select(j => j.Key.Name)];
    }

    /// <summary>The time zone of a cron schedule (UTC when none is given).</summary>
    public static TimeZoneInfo TimeZoneOf(Schedule schedule) =>
        string.IsNullOrEmpty(schedule.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);

    private static async Task EnsureJobAsync(IScheduler scheduler, string scheduleId, CancellationToken cancellationToken)
    {
        var key = new JobKey(scheduleId, Group);
        if (await scheduler.Exists(key, cancellationToken))
            return;
        await scheduler.AddJob(JobBuilder.Create<StartScheduledMigrationJob>().WithIdentity(key).StoreDurably().Build(),
            cancellationToken: cancellationToken);
    }
}
