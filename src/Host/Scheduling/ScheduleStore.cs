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

    /// <summary>Claims one fire time for <paramref name="host"/> (<paramref name="holder"/>: its runtime_hosts id): of several
    /// hosts on one database exactly one claim succeeds (the row's primary key), and only that host records and starts it.
    /// Returns null when this host won, else the host that claimed it first. The holder stays on the row until the fire
    /// time's run is recorded (<see cref="RecordRunAsync"/>), so a claim whose host died first is found (<see cref="ListPendingClaimsAsync"/>).</summary>
    public async Task<string?> ClaimFireAsync(string scheduleId, DateTimeOffset scheduledFor, string host, string holder, CancellationToken cancellationToken)
    {
        var claimedAt = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO host_schedule_fires (schedule_id, scheduled_for, host, claimed_at, holder) VALUES (@scheduleId, @scheduledFor, @host, @claimedAt, @holder)
            ON CONFLICT (schedule_id, scheduled_for) DO NOTHING
            """, new { scheduleId, scheduledFor, host, claimedAt, holder }, cancellationToken: cancellationToken));
        if (inserted == 1)
            return null;
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT host FROM host_schedule_fires WHERE schedule_id = @scheduleId AND scheduled_for = @scheduledFor",
            new { scheduleId, scheduledFor }, cancellationToken: cancellationToken)) ?? "another host";
    }

    /// <summary>Fire times claimed and not yet recorded (a host starting them now, or one that died before it recorded).</summary>
    public async Task<IReadOnlyList<PendingFireClaim>> ListPendingClaimsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var claims = await connection.QueryAsync<PendingFireClaim>(new CommandDefinition(
            "SELECT schedule_id, scheduled_for, host, holder, claimed_at FROM host_schedule_fires WHERE holder IS NOT NULL ORDER BY scheduled_for",
            cancellationToken: cancellationToken));
        return claims.AsList();
    }

    /// <summary>Takes a pending claim whose holder is gone for <paramref name="holder"/>: one conditional UPDATE, so
    /// of several live hosts exactly one succeeds, and none once the claim was recorded. True when this host took it.</summary>
    public async Task<bool> ReclaimFireAsync(PendingFireClaim claim, string host, string holder, CancellationToken cancellationToken)
    {
        var claimedAt = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE host_schedule_fires SET host = @host, holder = @holder, claimed_at = @claimedAt
            WHERE schedule_id = @ScheduleId AND scheduled_for = @ScheduledFor AND holder = @goneHolder
            """, new { host, holder, claimedAt, claim.ScheduleId, claim.ScheduledFor, goneHolder = claim.Holder }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Marks a stored schedule unusable with the reason (it stays listed, and is no longer registered).</summary>
    public async Task MarkBrokenAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_schedules SET broken_reason = @reason WHERE id = @id", new { id, reason }, cancellationToken: cancellationToken));
    }

    /// <summary>Records what became of a fire time and settles its claim (in one transaction: a recorded fire time is never
    /// re-claimed, a claim is never settled without its record).</summary>
    public async Task<ScheduleRun> RecordRunAsync(
        string scheduleId, DateTimeOffset scheduledFor, string outcome, string? instanceId, string? message, CancellationToken cancellationToken)
    {
        var happenedAt = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO host_schedule_runs (schedule_id, scheduled_for, happened_at, outcome, instance_id, message)
            VALUES (@scheduleId, @scheduledFor, @happenedAt, @outcome, @instanceId, @message) RETURNING id
            """,
            new { scheduleId, scheduledFor, happenedAt, outcome, instanceId, message }, transaction,
            cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_schedule_fires SET holder = NULL WHERE schedule_id = @scheduleId AND scheduled_for = @scheduledFor",
            new { scheduleId, scheduledFor }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
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

/// <summary>A claimed fire time without its run record: <see cref="Holder"/> (a runtime_hosts id) is starting it, or died first.</summary>
public sealed record PendingFireClaim(string ScheduleId, DateTimeOffset ScheduledFor, string Host, string Holder, DateTimeOffset ClaimedAt);

/// <summary>Who claims a fire time (<see cref="ScheduleStore.ClaimFireAsync"/>): this process, as an operator reads it.</summary>
public static class ScheduleFireClaims
{
    /// <summary>"HOST pid N".</summary>
    public static string ThisHost { get; } = $"{Environment.MachineName} pid {Environment.ProcessId}";
}
