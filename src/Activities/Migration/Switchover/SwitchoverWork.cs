using System.Diagnostics;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Verification;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Switchover;

/// <summary>How one disk was finished at the switchover: a mirror's bytes in all, or the final pass's bytes and time.</summary>
internal sealed record DiskFinish(string DeviceId, long? MirrorBytes, PassResult? FinalPass);

/// <summary>What the switchover did and how long it took (ms, from the moment it started; <see cref="ReactionMs"/> from the
/// pre-switchover event to the first command sent to a QEMU, or to the end of the background pass in flight when that
/// came first: the time nothing was asked of anyone).</summary>
internal sealed record SwitchoverResult(double ReactionMs, double DisksMs, double WorkMs, double? LastPassMarkMs,
    IReadOnlyList<DiskFinish> Disks, IReadOnlyDictionary<string, IReadOnlyList<PassLoop.PassRecord>> BackgroundPasses);

/// <summary>
/// Everything that must happen while the source's vCPUs are stopped at <c>pre-switchover</c>, and nothing else: stop
/// the background passes (the one in flight finishes), clear the target's last-pass bitmaps of disks that had no
/// background pass clearing them (overlapped with the mirror check and that wait), soft-cancel the READY mirrors and
/// run each replicated disk's final pass (together), detach the NBD clients, <c>migrate-continue</c> and await
/// <c>MIGRATION completed</c>. No database, no journal: the caller records the result once the guest runs again.
/// Started from the pre-switchover event itself (<see cref="Switchovers"/>) or by CompleteMirror.
/// </summary>
internal sealed class SwitchoverWork
{
    private readonly List<DiskPlan> _disks;
    private readonly List<DiskPlan> _mirrors;
    private readonly List<DiskPlan> _passes;
    private readonly HashSet<string> _tracked;
    private readonly MigrationState _state;
    private readonly QmpSession _source;
    private readonly QmpSession? _target;
    private readonly PassLoops _registry;
    private readonly string _instanceId;
    private readonly TimeSpan _timeout;

    private SwitchoverWork(MigrationScope scope, QmpSession source, QmpSession? target, PassLoops registry, TimeSpan timeout)
    {
        // Decided now from the state the steps before wrote: the work may run on another thread while a step saves it.
        _state = scope.State;
        _disks = scope.Plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        _mirrors = _disks.Where(d => _state.CopyOf(d).Strategy != BitmapStrategy.BackupPasses).ToList();
        _passes = _disks.Where(d => _state.CopyOf(d).Strategy == BitmapStrategy.BackupPasses).ToList();
        _tracked = _disks.Where(d => _state.TargetBitmapsOf(d).Contains(d.LastPassBitmap)).Select(d => d.DeviceId).ToHashSet();
        (_source, _target, _registry, _instanceId, _timeout) = (source, target, registry, scope.Context.InstanceId, timeout);
    }

    /// <summary>The switchover of the scope's migration, its sessions opened now (the target's only when a bitmap is tracked there).</summary>
    public static async Task<SwitchoverWork> PrepareAsync(MigrationScope scope, TimeSpan timeout)
    {
        var source = await scope.SourceAsync();
        var tracked = scope.Plan.AttachedDisks.Any(d => scope.State.TargetBitmapsOf(d).Contains(d.LastPassBitmap));
        return new SwitchoverWork(scope, source, tracked ? await scope.TargetAsync() : null, MigrationScope.Service<PassLoops>(scope.Context), timeout);
    }

    /// <summary>Runs the switchover; <paramref name="eventAt"/>: when the pre-switchover event arrived
    /// (<see cref="Stopwatch.GetTimestamp"/>), null for now.</summary>
    public async Task<SwitchoverResult> RunAsync(long? eventAt, CancellationToken ct)
    {
        // The background passes are this work's now: stopped here, or aborted when anything fails.
        var loops = _registry.Take(_instanceId) ?? [];
        try
        {
            return await RunAsync(eventAt, loops, ct);
        }
        catch
        {
            await Task.WhenAll(loops.Select(l => l.AbortAsync()));
            throw;
        }
    }

    private async Task<SwitchoverResult> RunAsync(long? eventAt, IReadOnlyList<PassLoop> loops, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var since = eventAt ?? Stopwatch.GetTimestamp();
        var (disks, mirrors, passes, source, target, timeout) = (_disks, _mirrors, _passes, _source, _target, _timeout);
        var looped = loops.Where(l => l.ClearedLastPassBitmap).Select(l => l.Disk.DeviceId).ToHashSet();

        // A background pass cleared its disk's last-pass bitmap before it started: only the others are cleared now.
        var toMark = disks.Where(d => !looped.Contains(d.DeviceId) && _tracked.Contains(d.DeviceId)).ToList();
        var marking = toMark.Count > 0 && target is not null ? MarkLastPassAsync(target, toMark, ct) : Task.FromResult<double?>(null);
        var checking = RequireMirrorsReadyAsync(mirrors, ct);
        var stopping = Task.WhenAll(loops.Select(l => l.StopAsync()));
        var asked = toMark.Count > 0 || mirrors.Count > 0;
        var reaction = Stopwatch.GetElapsedTime(since).TotalMilliseconds; // the first commands are on their way
        await Task.WhenAll(marking, checking, stopping);
        if (!asked) reaction = Stopwatch.GetElapsedTime(since).TotalMilliseconds; // the final passes start next

        var finishing = mirrors.Select(d => SoftCancelAsync(d, ct)).Concat(passes.Select(d => FinalPassAsync(d, ct))).ToList();
        var finished = await Task.WhenAll(finishing);
        var disksDone = watch.Elapsed;

        foreach (var disk in disks)
            await source.Client.BlockdevDelAsync(disk.NbdClientNode, ct);
        var mark = source.LastSequence;
        await source.Client.MigrateContinueAsync(MigrationStatus.PreSwitchover, ct);
        var ev = await source.WaitForEventAsync<MigrationEvent>(mark,
            e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled, timeout, "MIGRATION completed", ct);
        if (ev.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"The migration {ev.Status} after migrate-continue; the source keeps the VM.");
        return new SwitchoverResult(reaction, disksDone.TotalMilliseconds, watch.Elapsed.TotalMilliseconds, await marking, finished,
            loops.ToDictionary(l => l.Disk.DeviceId, l => l.Passes));
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

    /// <summary>Clears the target's last-pass bitmaps; returns the time it took (ms).</summary>
    private async Task<double?> MarkLastPassAsync(QmpSession on, IReadOnlyList<DiskPlan> disks, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await TargetWriteBitmaps.ClearLastPassAsync(on, disks, _state, ct);
        return watch.Elapsed.TotalMilliseconds;
    }

    private async Task<DiskFinish> SoftCancelAsync(DiskPlan disk, CancellationToken ct)
    {
        var mark = _source.LastSequence;
        await _source.Client.BlockJobCancelAsync(disk.JobId, force: false, ct);
        var ev = await _source.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == disk.JobId && e is BlockJobCompletedEvent or BlockJobCancelledEvent,
            _timeout, $"BLOCK_JOB_COMPLETED of {disk.JobId}", ct);
        if (ev is not BlockJobCompletedEvent { Error: null } done)
            throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} did not finish cleanly at switchover ({ev.Name}" +
                (ev is BlockJobCompletedEvent { Error: { } e } ? $": {e}" : "") + ").");
        return new DiskFinish(disk.DeviceId, done.Offset, null);
    }

    private async Task<DiskFinish> FinalPassAsync(DiskPlan disk, CancellationToken ct) =>
        new(disk.DeviceId, null, await BackupPass.RunAsync(_source, disk, null, _timeout, ct, measureDirty: false));
}
