using System.Diagnostics;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Switchover;

/// <summary>How one disk was finished at the switchover: a mirror's bytes in all, or the final pass's bytes and time.</summary>
internal sealed record DiskFinish(string DeviceId, long? MirrorBytes, PassResult? FinalPass);

/// <summary>What the switchover did and how long it took (ms, from the moment it started; <see cref="ReactionMs"/> from the
/// pre-switchover event to the first command sent to a QEMU).</summary>
internal sealed record SwitchoverResult(double ReactionMs, double DisksMs, double WorkMs, IReadOnlyList<DiskFinish> Disks);

/// <summary>
/// Everything that must happen while the source's vCPUs are stopped at <c>pre-switchover</c>, and nothing else (no
/// command to the target: its last-pass bitmaps were cleared at convergence): check that every mirror is READY,
/// soft-cancel them (local disks, and the follow mirrors of replicated disks), run each replicated disk's final pass (after its follow mirror drained),
/// detach the NBD clients, <c>migrate-continue</c> and await <c>MIGRATION completed</c>. No database, no journal: the
/// caller records the result once the guest runs again. Started from the pre-switchover event itself
/// (<see cref="Switchovers"/>) or by CompleteMirror.
/// </summary>
internal sealed class SwitchoverWork
{
    private readonly List<DiskPlan> _disks;
    private readonly List<DiskPlan> _mirrors;
    private readonly HashSet<string> _passes;
    private readonly HashSet<string> _emptyBitmaps;
    private readonly QmpSession _source;
    private readonly TimeSpan _timeout;

    private SwitchoverWork(MigrationScope scope, QmpSession source, TimeSpan timeout)
    {
        // Decided now from the state the steps before wrote: the work may run on another thread while a step saves it.
        var state = scope.State;
        _disks = scope.Plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        _mirrors = _disks.Where(d => state.CopyOf(d) is var c && (c.Strategy != BitmapStrategy.BackupPasses || c.FollowMirror)).ToList();
        // A follow mirror's frozen bitmap that was empty at the hand-over stays empty: no final pass (one job less in the pause).
        _passes = _disks.Where(d => state.CopyOf(d) is { Strategy: BitmapStrategy.BackupPasses } c && c.LeftForFinalPass is not 0).Select(d => d.DeviceId).ToHashSet();
        _emptyBitmaps = _disks.Where(d => state.CopyOf(d) is { Strategy: BitmapStrategy.BackupPasses, LeftForFinalPass: 0 }).Select(d => d.DeviceId).ToHashSet();
        (_source, _timeout) = (source, timeout);
    }

    /// <summary>The switchover of the scope's migration, with the source's session opened now.</summary>
    public static async Task<SwitchoverWork> PrepareAsync(MigrationScope scope, TimeSpan timeout) =>
        new(scope, await scope.SourceAsync(), timeout);

    /// <summary>Runs the switchover; <paramref name="eventAt"/>: when the pre-switchover event arrived
    /// (<see cref="Stopwatch.GetTimestamp"/>), null for now.</summary>
    public async Task<SwitchoverResult> RunAsync(long? eventAt, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var since = eventAt ?? Stopwatch.GetTimestamp();
        var checking = RequireMirrorsReadyAsync(_mirrors, ct);
        var reaction = Stopwatch.GetElapsedTime(since).TotalMilliseconds; // the first command is on its way (or the final passes start next)
        await checking;

        var finished = await Task.WhenAll(_disks.Select(d => FinishAsync(d, ct)));
        var disksDone = watch.Elapsed;

        foreach (var disk in _disks)
            await _source.Client.BlockdevDelAsync(disk.NbdClientNode, ct);
        var mark = _source.LastSequence;
        await _source.Client.MigrateContinueAsync(MigrationStatus.PreSwitchover, ct);
        var ev = await _source.WaitForEventAsync<MigrationEvent>(mark,
            e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled, _timeout, "MIGRATION completed", ct);
        if (ev.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"The migration {ev.Status} after migrate-continue; the source keeps the VM.");
        return new SwitchoverResult(reaction, disksDone.TotalMilliseconds, watch.Elapsed.TotalMilliseconds, finished);
    }

    /// <summary>A mirror drains (soft cancel); a replicated disk then gets its final pass (the same node: one job at a time).</summary>
    private async Task<DiskFinish> FinishAsync(DiskPlan disk, CancellationToken ct)
    {
        var mirrored = _mirrors.Contains(disk) ? await SoftCancelAsync(disk, ct) : (long?)null;
        var final = _passes.Contains(disk.DeviceId) ? await BackupPass.RunAsync(_source, disk, null, _timeout, ct, measureDirty: false)
            : _emptyBitmaps.Contains(disk.DeviceId) ? PassResult.Skipped : null;
        return new DiskFinish(disk.DeviceId, mirrored, final);
    }

    private async Task RequireMirrorsReadyAsync(IReadOnlyList<DiskPlan> mirrors, CancellationToken ct)
    {
        if (mirrors.Count == 0) return;
        var jobs = (await _source.Client.QueryBlockJobsAsync(ct)).ToDictionary(j => j.Device);
        foreach (var disk in mirrors)
            if (!jobs.TryGetValue(disk.JobId, out var job) || !job.Ready)
                throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} is {(job is null ? "gone" : "not ready")} at switchover: " +
                    "a soft cancel would leave the target incomplete. Rolling back.");
    }

    private async Task<long> SoftCancelAsync(DiskPlan disk, CancellationToken ct)
    {
        var mark = _source.LastSequence;
        await _source.Client.BlockJobCancelAsync(disk.JobId, force: false, ct);
        var ev = await _source.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == disk.JobId && e is BlockJobCompletedEvent or BlockJobCancelledEvent,
            _timeout, $"BLOCK_JOB_COMPLETED of {disk.JobId}", ct);
        if (ev is not BlockJobCompletedEvent { Error: null } done)
            throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} did not finish cleanly at switchover ({ev.Name}" +
                (ev is BlockJobCompletedEvent { Error: { } e } ? $": {e}" : "") + ").");
        return done.Offset;
    }

}
