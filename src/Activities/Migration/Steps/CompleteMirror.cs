using System.Diagnostics;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 8, at <c>pre-switchover</c> (the guest is paused: all of this is downtime): soft <c>block-job-cancel</c> of
/// every READY mirror (it drains and the source stays on its own disk; never <c>block-job-complete</c>, which would
/// pivot the source onto the target's export), the final bitmap backup pass (both after clearing the target's
/// last-pass bitmaps, so they mark what this last pass writes: <see cref="TargetWriteBitmaps"/>), <c>blockdev-del</c> of the NBD clients,
/// then <c>migrate-continue</c> and the wait for <c>completed</c>. Event-driven, no sleeps, no journal or ledger writes
/// here: ResumeTarget records everything once the VM runs again.
/// </summary>
[Activity("VmMigration", "VM Migration", "At pre-switchover: finishes every disk copy (soft cancel, final bitmap pass), detaches NBD, continues the migration.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class CompleteMirror : CodeActivity
{
    [Input(Description = "Longest time to finish the disks and complete the migration (the guest is paused meanwhile).", DefaultValue = 60, ZeroOrLessMeansDefault = true)]
    public Input<int>? TimeoutSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var watch = Stopwatch.StartNew();
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        var state = scope.State;
        if (state.Ram is null)
            throw new InvalidOperationException("CompleteMirror runs only at pre-switchover: put it right after LiveMigrate.");
        var timeout = TimeSpan.FromSeconds(context.Get(TimeoutSeconds));
        var source = await scope.SourceAsync();
        var disks = plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var mirrors = disks.Where(d => state.CopyOf(d).Strategy != BitmapStrategy.BackupPasses).ToList();
        var passes = disks.Where(d => state.CopyOf(d).Strategy == BitmapStrategy.BackupPasses).ToList();

        // The target's last-pass bitmaps start afresh now, before the final pass and the drain; one transaction on the
        // target, overlapped with the job check on the source.
        var marking = disks.Any(d => state.TargetBitmapsOf(d).Count > 0) ? MarkLastPassAsync(scope, disks) : Task.FromResult<double?>(null);
        await Task.WhenAll(marking, RequireMirrorsReadyAsync(source, mirrors, scope.Token));
        var finishing = mirrors.Select(d => SoftCancelAsync(source, d, state.CopyOf(d), timeout, scope.Token))
            .Concat(passes.Select(d => FinalPassAsync(scope, source, d, timeout)));
        await Task.WhenAll(finishing);
        var disksDone = watch.Elapsed;

        foreach (var disk in disks)
            await source.Client.BlockdevDelAsync(disk.NbdClientNode, scope.Token);

        var mark = source.LastSequence;
        await source.Client.MigrateContinueAsync(MigrationStatus.PreSwitchover, scope.Token);
        var ev = await source.WaitForEventAsync<MigrationEvent>(mark,
            e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled, timeout, "MIGRATION completed", scope.Token);
        if (ev.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"The migration {ev.Status} after migrate-continue; the source keeps the VM.");
        state.Switchover = new Switchover(disksDone.TotalMilliseconds, watch.Elapsed.TotalMilliseconds, await marking);
        scope.SaveState();
    }

    private static async Task RequireMirrorsReadyAsync(QmpSession source, IReadOnlyList<DiskPlan> mirrors, CancellationToken ct)
    {
        if (mirrors.Count == 0) return;
        var jobs = (await source.Client.QueryBlockJobsAsync(ct)).ToDictionary(j => j.Device);
        foreach (var disk in mirrors)
            if (!jobs.TryGetValue(disk.JobId, out var job) || !job.Ready)
                throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} is {(job is null ? "gone" : "not ready")} at switchover: " +
                    "a soft cancel would leave the target incomplete. Rolling back.");
    }

    /// <summary>Clears the target's last-pass bitmaps; returns the time it took (ms).</summary>
    private static async Task<double?> MarkLastPassAsync(MigrationScope scope, IReadOnlyList<DiskPlan> disks)
    {
        var watch = Stopwatch.StartNew();
        var target = await scope.TargetAsync();
        await TargetWriteBitmaps.ClearLastPassAsync(target, disks, scope.State, scope.Token);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task SoftCancelAsync(QmpSession qmp, DiskPlan disk, DiskCopy copy, TimeSpan timeout, CancellationToken ct)
    {
        var mark = qmp.LastSequence;
        await qmp.Client.BlockJobCancelAsync(disk.JobId, force: false, ct);
        var ev = await qmp.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == disk.JobId && e is BlockJobCompletedEvent or BlockJobCancelledEvent,
            timeout, $"BLOCK_JOB_COMPLETED of {disk.JobId}", ct);
        if (ev is not BlockJobCompletedEvent { Error: null } done)
            throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} did not finish cleanly at switchover ({ev.Name}" +
                (ev is BlockJobCompletedEvent { Error: { } e } ? $": {e}" : "") + ").");
        copy.BytesCopied = done.Offset;
    }

    private static async Task FinalPassAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, TimeSpan timeout)
    {
        var pass = await BackupPass.RunAsync(scope, qmp, disk, speed: null, timeout, recordInLedger: false, scope.Token);
        var copy = scope.State.CopyOf(disk);
        copy.FinalPassBytes = pass.BytesCopied;
        copy.FinalPassMs = pass.Elapsed.TotalMilliseconds;
    }
}
