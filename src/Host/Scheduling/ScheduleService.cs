using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Microsoft.Extensions.Options;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>A request to create a schedule: exactly one of <see cref="FireAt"/> (one-shot) and <see cref="Cron"/>.</summary>
/// <param name="Cron">A Quartz cron expression with seconds, e.g. <c>0 0 2 ? * SAT</c> (02:00 every Saturday).</param>
/// <param name="TimeZone">IANA time zone of the cron expression (default UTC).</param>
/// <param name="Misfire">What to do with a fire time missed while the host was down (default: skip it).</param>
/// <param name="MisfireWindow">With <see cref="MisfirePolicy.RunIfLate"/>: how late a missed fire may still start.</param>
public sealed record CreateScheduleRequest(
    string DefinitionId,
    JsonObject? Inputs,
    DateTimeOffset? FireAt,
    string? Cron,
    string? TimeZone,
    MisfirePolicy Misfire = MisfirePolicy.Skip,
    TimeSpan? MisfireWindow = null)
{
    /// <summary>The schedule this request creates at <paramref name="now"/>, with a new id.</summary>
    public Schedule ToSchedule(DateTimeOffset now) => new(
        "sch-" + Guid.NewGuid().ToString("N")[..12], DefinitionId, Inputs ?? [], Cron is null ? ScheduleKind.Once : ScheduleKind.Cron,
        FireAt, Cron, TimeZone, Misfire, MisfireWindow ?? TimeSpan.Zero, now, null, false);
}

/// <summary>Creates, lists and deletes schedules: the database first, then Quartz.</summary>
public sealed class ScheduleService(ScheduleStore store, ScheduleTriggers triggers, TimeProvider time, IOptions<SchedulingOptions> options)
{
    /// <summary>Creates a schedule; returns the problems instead when the request is not valid.</summary>
    public async Task<(Schedule? Schedule, IReadOnlyList<string> Problems)> CreateAsync(CreateScheduleRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var problems = Validate(request, now, options.Value.OnTimeTolerance);
        if (problems.Count > 0)
            return (null, problems);
        var schedule = request.ToSchedule(now);
        await store.AddAsync(schedule, cancellationToken);
        await triggers.RegisterAsync(schedule, now, cancellationToken);
        return (schedule, []);
    }

    public Task<IReadOnlyList<Schedule>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string id, CancellationToken cancellationToken) => store.ListRunsAsync(id, cancellationToken);

    public Task<Schedule?> FindAsync(string id, CancellationToken cancellationToken) => store.FindAsync(id, cancellationToken);

    /// <summary>Deletes the schedule and its pending triggers. False when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        await triggers.UnregisterAsync(id, cancellationToken);
        return deleted;
    }

    internal static IReadOnlyList<string> Validate(CreateScheduleRequest r, DateTimeOffset now, TimeSpan tolerance)
    {
        var problems = new List<string>();
        if (!DefinitionIds.IsValid(r.DefinitionId))
            problems.Add(DefinitionIds.Problem(r.DefinitionId));
        if ((r.FireAt is null) == (r.Cron is null))
            problems.Add("Give exactly one of fireAt (a one-shot schedule) and cron (a recurring one).");
        if (r.FireAt is { } at && at < now - tolerance)
            problems.Add($"fireAt {at:O} is in the past (now {now:O}); choose a future time.");
        if (r.Cron is not null && !CronExpression.TryParse(r.Cron, out _) && !ScheduleTriggers.NamesOnlyYearsBeyondQuartz(r.Cron, now))
            problems.Add($"cron '{r.Cron}' is not a valid Quartz cron expression (seconds minutes hours day-of-month month day-of-week, e.g. '0 0 2 ? * SAT').");
        if (r.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _))
            problems.Add($"timeZone '{r.TimeZone}' is unknown; use an IANA name such as 'Europe/Berlin'.");
        if (r.MisfireWindow is { } w && w < TimeSpan.Zero)
            problems.Add("misfireWindow must not be negative.");
        if (r.Misfire == MisfirePolicy.RunIfLate && r.MisfireWindow is null)
            problems.Add("misfire RunIfLate needs misfireWindow (how late a missed window may still start, e.g. '00:30:00').");
        // Only a request that is otherwise valid can be turned into a trigger.
        if (problems.Count == 0 && ScheduleTriggers.WhyNeverFires(r.ToSchedule(now), now) is { } never)
            problems.Add(never);
        return problems;
    }
}
