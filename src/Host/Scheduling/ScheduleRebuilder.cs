using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.Options;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// On start, rebuilds Quartz's in-memory triggers from <c>host_schedules</c> and decides about fire times missed
/// while the host was down, by each schedule's misfire policy. Afterwards it reconciles every
/// <see cref="SchedulingOptions.SyncInterval"/>, so schedules added or deleted by the CLI (another process) take effect.
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
    IWorkflowRuntime runtime,
    TimeProvider time,
    IOptions<SchedulingOptions> options,
    ILogger<ScheduleRebuilder> logger) : IHostedService, IDisposable
{
    private const int MaxMissedToScan = 100_000;

    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var count = await SyncAsync(cancellationToken);
        logger.LogInformation("Scheduler rebuilt {Count} schedule(s) from the database", count);
        _loop = LoopAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
            await _loop.WaitAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SyncInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await SyncAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The next tick tries again; a broken database shows in the log, not as a dead scheduler.
                    logger.LogError(e, "Reconciling schedules with the database failed; retrying in {Interval}", options.Value.SyncInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Registers schedules Quartz does not know yet (deciding about their missed fire times) and removes
    /// jobs of deleted schedules; returns how many schedules are active. A schedule that cannot be registered is marked
    /// broken with the reason and skipped: one bad row must not stop the server (nor the recovery that runs at start).</summary>
    internal async Task<int> SyncAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var schedules = (await store.ListAsync(cancellationToken)).Where(s => !s.Completed && s.BrokenReason is null).ToList();
        var active = 0;
        foreach (var schedule in schedules)
        {
            if (await triggers.IsRegisteredAsync(schedule.Id, cancellationToken))
            {
                active++;
                continue;
            }
            var broken = schedule.Kind == ScheduleKind.Cron ? ScheduleTriggers.WhyNeverFires(schedule, now) : null;
            if (broken is null)
            {
                try
                {
                    await RegisterAsync(schedule, now, cancellationToken);
                    active++;
                    continue;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    broken = e.Message;
                    await triggers.UnregisterAsync(schedule.Id, cancellationToken);
                }
            }
            await store.MarkBrokenAsync(schedule.Id, broken, cancellationToken);
            logger.LogError("Schedule {ScheduleId} ({DefinitionId}) is broken and will not fire: {Reason}. Delete it and add a valid one",
                schedule.Id, schedule.DefinitionId, broken);
        }
        var all = (await store.ListAsync(cancellationToken)).Select(s => s.Id).ToHashSet();
        foreach (var registered in await triggers.RegisteredAsync(cancellationToken))
            if (!all.Contains(registered))
                await triggers.UnregisterAsync(registered, cancellationToken);
        return active;
    }

    private async Task RegisterAsync(Schedule schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var missed = LastMissedFireTime(schedule, now, out var count);
        if (missed is { } scheduledFor)
        {
            if (MisfireRule.ShouldRun(schedule, scheduledFor, now, options.Value.OnTimeTolerance))
            {
                logger.LogInformation("Schedule {ScheduleId}: fire time {ScheduledFor:O} came while the host was down; policy {Policy} runs it now",
                    schedule.Id, scheduledFor, schedule.Misfire);
                await triggers.FireNowAsync(schedule, scheduledFor, cancellationToken);
            }
            else if (await store.ClaimFireAsync(schedule.Id, scheduledFor, ScheduleFireClaims.ThisHost,
                         await runtime.RegisterHostAsync(cancellationToken), cancellationToken) is null)
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
        var cron = new CronExpression(schedule.Cron!, ScheduleTriggers.TimeZoneOf(schedule));
        DateTimeOffset? last = null;
        var from = schedule.LastFireTime ?? schedule.CreatedAt;
        while (count < MaxMissedToScan && cron.GetNextValidTimeAfter(from) is { } next && next <= now)
        {
            last = next;
            from = next;
            count++;
        }
        return last;
    }
}
