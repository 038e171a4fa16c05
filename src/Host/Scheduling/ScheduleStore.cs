using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Schedules and their runs in the database (the source of truth; Quartz's RAM store is rebuilt from it on start).</summary>
public sealed class ScheduleStore(HostDatabase database, TimeProvider time)
{
    // The misfire window is stored as whole seconds: the one column that does not map onto Schedule by itself.
    private sealed record Row(
        string Id, string DefinitionId, JsonObject InputsJson, ScheduleKind Kind, DateTimeOffset? FireAt, string? Cron, string? TimeZone,
        MisfirePolicy Misfire, long MisfireWindowSeconds, DateTimeOffset CreatedAt, DateTimeOffset? LastFireTime, bool Completed, string? BrokenReason)
    {
        public Schedule ToSchedule() => new(Id, DefinitionId, InputsJson, Kind, FireAt, Cron, TimeZone, Misfire, TimeSpan.FromSeconds(MisfireWindowSeconds),
            CreatedAt, LastFireTime, Completed, BrokenReason);
    }

    private const string Columns =
        "id, definition_id, inputs_json, kind, fire_at, cron, time_zone, misfire, misfire_window_seconds, created_at, last_fire_time, completed, broken_reason";

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
                schedule.Inputs,
                Kind = schedule.Kind.ToString(),
                schedule.FireAt,
                schedule.Cron,
                schedule.TimeZone,
                Misfire = schedule.Misfire.ToString(),
                Window = (long)schedule.MisfireWindow.TotalSeconds,
                schedule.CreatedAt,
            }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Schedule>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM host_schedules ORDER BY created_at", cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToSchedule())];
    }

    public async Task<Schedule?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM host_schedules WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToSchedule();
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
            // Never backwards: with several hosts a slower host's earlier fire time may be marked after a later one.
            "UPDATE host_schedules SET last_fire_time = CASE WHEN last_fire_time IS NULL OR last_fire_time < @fired THEN @fired ELSE last_fire_time END, " +
            "completed = CASE WHEN @completed = 1 THEN 1 ELSE completed END WHERE id = @id",
            new { id, fired = scheduledFor, completed = completed ? 1 : 0 }, cancellationToken: cancellationToken));
    }

    /// <summary>Claims one fire time for <paramref name="host"/>: of several hosts on one database exactly one claim
    /// succeeds (the row's primary key), and only that host records and starts it. Returns null when this host won,
    /// else the host that claimed it first.</summary>
    public async Task<string?> ClaimFireAsync(string scheduleId, DateTimeOffset scheduledFor, string host, CancellationToken cancellationToken)
    {
        var claimedAt = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO host_schedule_fires (schedule_id, scheduled_for, host, claimed_at) VALUES (@scheduleId, @scheduledFor, @host, @claimedAt)
            ON CONFLICT (schedule_id, scheduled_for) DO NOTHING
            """, new { scheduleId, scheduledFor, host, claimedAt }, cancellationToken: cancellationToken));
        if (inserted == 1)
            return null;
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT host FROM host_schedule_fires WHERE schedule_id = @scheduleId AND scheduled_for = @scheduledFor",
            new { scheduleId, scheduledFor }, cancellationToken: cancellationToken)) ?? "another host";
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
            new { scheduleId, scheduledFor, happenedAt, outcome, instanceId, message },
            cancellationToken: cancellationToken));
        return new ScheduleRun(id, scheduleId, scheduledFor, happenedAt, outcome, instanceId, message);
    }

    public async Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string scheduleId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var runs = await connection.QueryAsync<ScheduleRun>(new CommandDefinition(
            """
            SELECT id, schedule_id, scheduled_for, happened_at, outcome, instance_id, message
            FROM host_schedule_runs WHERE schedule_id = @scheduleId ORDER BY id
            """, new { scheduleId }, cancellationToken: cancellationToken));
        return runs.AsList();
    }
}

/// <summary>Who claims a fire time (<see cref="ScheduleStore.ClaimFireAsync"/>): this process, as an operator reads it.</summary>
public static class ScheduleFireClaims
{
    /// <summary>"HOST pid N".</summary>
    public static string ThisHost { get; } = $"{Environment.MachineName} pid {Environment.ProcessId}";
}
