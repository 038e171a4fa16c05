using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Schedules and their runs in SQLite (the source of truth; Quartz's RAM store is rebuilt from it on start).</summary>
public sealed class ScheduleStore(HostDatabase database, TimeProvider time)
{
    private sealed record Row(
        string id, string definition_id, string inputs_json, string kind, string? fire_at, string? cron, string? time_zone,
        string misfire, long misfire_window_seconds, string created_at, string? last_fire_time, long completed, string? broken_reason);

    private sealed record RunRow(long id, string schedule_id, string scheduled_for, string happened_at, string outcome, string? instance_id, string? message);

    public async Task AddAsync(Schedule schedule, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO host_schedules (id, definition_id, inputs_json, kind, fire_at, cron, time_zone, misfire, misfire_window_seconds, created_at, completed)
            VALUES (@Id, @DefinitionId, @Inputs, @Kind, @FireAt, @Cron, @TimeZone, @Misfire, @Window, @CreatedAt, 0)
            """,
            new
            {
                schedule.Id,
                schedule.DefinitionId,
                Inputs = schedule.Inputs.ToJsonString(),
                Kind = schedule.Kind.ToString(),
                FireAt = Format(schedule.FireAt),
                schedule.Cron,
                schedule.TimeZone,
                Misfire = schedule.Misfire.ToString(),
                Window = (long)schedule.MisfireWindow.TotalSeconds,
                CreatedAt = Format(schedule.CreatedAt),
            }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Schedule>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT * FROM host_schedules ORDER BY created_at", cancellationToken: cancellationToken));
        return [.. rows.Select(Map)];
    }

    public async Task<Schedule?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT * FROM host_schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : Map(row);
    }

    /// <summary>Deletes a schedule (its runs stay, as history). False when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM host_schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Remembers the latest fire time handled (run or skipped), so a restart does not handle it again.
    /// A one-shot schedule is then complete.</summary>
    public async Task MarkFiredAsync(string id, DateTimeOffset scheduledFor, bool completed, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_schedules SET last_fire_time = @fired, completed = MAX(completed, @completed) WHERE id = @id",
            new { id, fired = Format(scheduledFor), completed = completed ? 1 : 0 }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks a stored schedule unusable with the reason (it stays listed, and is no longer registered).</summary>
    public async Task MarkBrokenAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_schedules SET broken_reason = @reason WHERE id = @id", new { id, reason }, cancellationToken: cancellationToken));
    }

    public async Task<ScheduleRun> RecordRunAsync(
        string scheduleId, DateTimeOffset scheduledFor, string outcome, string? instanceId, string? message, CancellationToken cancellationToken)
    {
        var happenedAt = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO host_schedule_runs (schedule_id, scheduled_for, happened_at, outcome, instance_id, message)
            VALUES (@scheduleId, @scheduledFor, @happenedAt, @outcome, @instanceId, @message) RETURNING id
            """,
            new { scheduleId, scheduledFor = Format(scheduledFor), happenedAt = Format(happenedAt), outcome, instanceId, message },
            cancellationToken: cancellationToken));
        return new ScheduleRun(id, scheduleId, scheduledFor, happenedAt, outcome, instanceId, message);
    }

    public async Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string scheduleId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRow>(new CommandDefinition(
            "SELECT * FROM host_schedule_runs WHERE schedule_id = @scheduleId ORDER BY id", new { scheduleId },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ScheduleRun(r.id, r.schedule_id, Parse(r.scheduled_for)!.Value, Parse(r.happened_at)!.Value,
            r.outcome, r.instance_id, r.message))];
    }

    private static Schedule Map(Row r) => new(
        r.id, r.definition_id, (JsonObject)JsonNode.Parse(r.inputs_json)!, Enum.Parse<ScheduleKind>(r.kind), Parse(r.fire_at), r.cron,
        r.time_zone, Enum.Parse<MisfirePolicy>(r.misfire), TimeSpan.FromSeconds(r.misfire_window_seconds), Parse(r.created_at)!.Value,
        Parse(r.last_fire_time), r.completed != 0, r.broken_reason);

    private static string? Format(DateTimeOffset? value) => value?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Parse(string? value) =>
        value is null ? null : DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
