using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>One-shot (a maintenance window start) or recurring (cron).</summary>
public enum ScheduleKind { Once, Cron }

/// <summary>
/// What to do with a fire time that was missed (the host was down, or too busy): by default a window that has passed
/// does not start a migration late.
/// </summary>
public enum MisfirePolicy
{
    /// <summary>A missed fire time is recorded and skipped.</summary>
    Skip,
    /// <summary>A missed fire time still starts the migration if it is at most <see cref="Schedule.MisfireWindow"/> late.</summary>
    RunIfLate,
}

/// <summary>A schedule that starts a definition with inputs. Stored in <c>host_schedules</c>, the source of truth.</summary>
/// <param name="BrokenReason">Set when the server found the stored schedule unusable (e.g. a cron that can never fire,
/// stored by an older version): it is not registered with Quartz and says why, instead of stopping the server.</param>
public sealed record Schedule(
    string Id,
    string DefinitionId,
    JsonObject Inputs,
    ScheduleKind Kind,
    DateTimeOffset? FireAt,
    string? Cron,
    string? TimeZone,
    MisfirePolicy Misfire,
    TimeSpan MisfireWindow,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastFireTime,
    bool Completed,
    string? BrokenReason = null);

/// <summary>What happened at one fire time of a schedule (table <c>host_schedule_runs</c>).</summary>
/// <param name="Outcome"><c>Started</c>, <c>Missed</c> (skipped by the misfire policy), <c>Refused</c> (VM busy, node full,
/// definition missing) or <c>Failed</c>.</param>
public sealed record ScheduleRun(
    long Id, string ScheduleId, DateTimeOffset ScheduledFor, DateTimeOffset HappenedAt, string Outcome, string? InstanceId, string? Message);

/// <summary>Outcome names of <see cref="ScheduleRun"/>.</summary>
public static class ScheduleRunOutcomes
{
    public const string Started = "Started";
    public const string Missed = "Missed";
    public const string Refused = "Refused";
    public const string Failed = "Failed";
}
