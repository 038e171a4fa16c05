using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Verification;
using Elsa.Migration.Activities.Migration.Freeze;

namespace Elsa.Migration.Activities.Migration.Ledger;

/// <summary>
/// Undoes one ledger entry (README.md, "Ledger kinds"). Every undo is idempotent and tolerates a resource that is
/// already gone, so Rollback is safe at any point and safe twice. Two rules above all: nothing is removed that does not
/// carry this migration's ownership mark (<see cref="Ownership"/>: a resource found under the entry's name that this
/// migration cannot prove it made is left and said so); and when the VM already runs on the target, nothing on the
/// target is touched (except the migration's own bitmaps and verify export, which the running VM does not need) and the
/// source is never resumed.
/// </summary>
internal sealed class LedgerUndo(MigrationScope scope)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Longest any node command of an undo may run (Rollback sets it on its scope): a hung command is killed and reported, not waited for.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private bool? _vmOnTarget;

    private MigrationPlan Plan => scope.Plan;
    private CancellationToken Token => scope.Token;

    /// <summary>What was done, for the journal.</summary>
    public async Task<string> UndoAsync(LedgerEntry entry)
    {
        switch (entry.Kind)
        {
            case LedgerKinds.Migration:
                return await UndoMigrationAsync();
            case LedgerKinds.BlockJob:
                return await CancelJobAsync(entry.Name);
            case LedgerKinds.NbdClient:
                return await RemoveNbdClientAsync(entry.Name);
            case LedgerKinds.TargetExport:
                return await RemoveTargetExportAsync(entry.Name);
            case LedgerKinds.TargetBitmap:
                return await TargetWriteBitmaps.RemoveAsync(await scope.TryGetTargetAsync(),
                    entry.Details?["node"]?.GetValue<string>() ?? entry.Name.Split('/')[0],
                    entry.Details?["bitmap"]?.GetValue<string>() ?? entry.Name.Split('/')[^1], Token);
            case LedgerKinds.TargetQemu:
                return await StopTargetAsync(entry);
            case LedgerKinds.TargetVolume:
                if (await VmOnTargetAsync()) return $"kept {entry.Name}: the VM runs on the target";
                return await TargetVolumes.DeleteAsync(scope.TargetNode, entry.Name, entry.Details, scope.Owner, Token);
            case LedgerKinds.ReplicaReceived:
                return $"kept replica {entry.Name} (the next zfs recv -F rolls it back)";
            case LedgerKinds.ZfsSnapshot:
                return await UndoSnapshotAsync(entry);
            case LedgerKinds.DirtyBitmap:
                return await RemoveBitmapAsync(entry);
            case LedgerKinds.GuestFrozen:
                return await ThawAsync(entry);
            default:
                return $"unknown ledger kind '{entry.Kind}' ({entry.Name}): left alone, check it by hand";
        }
    }

    /// <summary>True when the VM already runs on the target (ResumeTarget passed <c>cont</c>).</summary>
    public async Task<bool> VmOnTargetAsync()
    {
        if (_vmOnTarget is { } known) return known;
        if (scope.State.VmRunsOnTarget) return (_vmOnTarget = true).Value;
        bool running;
        try
        {
            running = await TargetRunsAsync();
        }
        catch (Exception e) when (e is QmpDisconnectedException or IOException)
        {
            // The session broke under us (the target QEMU died since it was opened): ask a fresh one, which finds
            // nothing listening when the QEMU is gone. A second failure is "could not ask" and propagates.
            await scope.DropTargetAsync();
            running = await TargetRunsAsync();
        }
        _vmOnTarget = running;
        return running;
    }

    private async Task<bool> TargetRunsAsync()
    {
        var target = await scope.TryGetTargetAsync();
        return target is not null && (await target.Client.QueryStatusAsync(Token)).Status == RunState.Running;
    }

    private Task<QmpSession?> SourceAsync() => scope.TryGetSourceAsync();

    private async Task<string> UndoMigrationAsync()
    {
        // Asked first: once the VM runs on the target the source is never touched (Cleanup may be quitting it right now).
        if (await VmOnTargetAsync()) return "migration completed and the VM runs on the target: source left stopped";
        var source = await SourceAsync();
        if (source is null) return "source QEMU is gone: the VM runs nowhere; check the node";
        var info = await source.Client.QueryMigrateAsync(Token);
        var said = "";
        if (info.Status is MigrationStatus.Setup or MigrationStatus.Active or MigrationStatus.PreSwitchover or MigrationStatus.Device or MigrationStatus.Cancelling)
        {
            var mark = source.LastSequence;
            await source.Client.MigrateCancelAsync(Token);
            await source.WaitForEventAsync<MigrationEvent>(mark, e => e.Status is MigrationStatus.Cancelled or MigrationStatus.Failed,
                EventTimeout, "MIGRATION cancelled", Token);
            said = "migrate_cancel; ";
        }
        var status = await source.Client.QueryStatusAsync(Token);
        if (status.Status is RunState.Paused or RunState.Postmigrate or RunState.FinishMigrate)
        {
            await source.Client.ContAsync(Token);
            said += $"source resumed from {status.Status}";
        }
        else
        {
            said += $"source is {status.Status}";
        }
        return said;
    }

    /// <summary>Cancels (or dismisses) the migration's block job <paramref name="jobId"/> on the source; by name, for Cleanup too.</summary>
    public async Task<string> CancelJobAsync(string jobId)
    {
        var source = await SourceAsync();
        if (source is null) return $"job {jobId}: source QEMU gone";
        var job = (await source.Client.QueryBlockJobsAsync(Token)).FirstOrDefault(j => j.Device == jobId);
        if (job is null) return $"job {jobId} already gone";
        // By name only when this instance ever started a job of that id (the switchover's last pass is not recorded on
        // its own, but pass 1 of that disk was); a job someone else runs under the name is not ours to cancel.
        if (!(await scope.Context.GetLedgerAsync()).Any(e => e.Kind == LedgerKinds.BlockJob && e.Name == jobId))
            return $"kept job {jobId}: this migration never started a job of that id";
        var mark = source.LastSequence;
        try
        {
            if (job.Status == JobStatus.Concluded)
            {
                await source.Client.JobDismissAsync(jobId, Token);
                return $"dismissed concluded job {jobId}";
            }
            await source.Client.BlockJobCancelAsync(jobId, force: true, Token);
        }
        catch (QmpException ex) when (ex.ErrorClass == "DeviceNotActive" || ex.Description == "Job not found")
        {
            // It ended between the query and the cancel (a pass to a target that just died): what the cancel wanted.
            // block-job-cancel says DeviceNotActive, job-dismiss a GenericError "Job not found" (QEMU 7.2).
            return $"job {jobId} ended on its own ({ex.Description})";
        }
        await source.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == jobId && e is BlockJobCancelledEvent or BlockJobCompletedEvent,
            EventTimeout, $"end of job {jobId}", Token);
        return $"cancelled job {jobId}";
    }

    /// <summary>Detaches the migration's NBD client node from the source (its job first); by name, for Cleanup too.</summary>
    public async Task<string> RemoveNbdClientAsync(string nodeName)
    {
        var source = await SourceAsync();
        if (source is null) return $"NBD client {nodeName}: source QEMU gone";
        // A job writing to this node must end first (also the backup passes, which are not in the ledger one by one).
        var disk = Plan.Disks.FirstOrDefault(d => d.NbdClientNode == nodeName);
        if (disk is not null) await CancelJobAsync(disk.JobId);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(Token);
        if (nodes.All(n => n.NodeName != nodeName)) return $"NBD client {nodeName} already gone";
        await source.Client.BlockdevDelAsync(nodeName, Token);
        return $"blockdev-del {nodeName}";
    }

    private async Task<string> RemoveBitmapAsync(LedgerEntry entry)
    {
        var source = await SourceAsync();
        if (source is null) return $"bitmap {entry.Name}: source QEMU gone (bitmaps lived only in its memory)";
        var node = entry.Details?["node"]?.GetValue<string>() ?? entry.Name.Split('/')[0];
        var name = entry.Details?["bitmap"]?.GetValue<string>() ?? entry.Name.Split('/')[^1];
        var exists = (await source.Client.QueryNamedBlockNodesAsync(Token)).Any(n => n.NodeName == node && n.DirtyBitmaps.Any(b => b.Name == name));
        if (!exists) return $"bitmap {entry.Name} already gone";
        await source.Client.BlockDirtyBitmapRemoveAsync(node, name, Token);
        return $"removed bitmap {entry.Name}";
    }

    /// <summary>VerifyDisks' read-only export on the target: removed whoever runs the VM (it must not outlive the check).</summary>
    private async Task<string> RemoveTargetExportAsync(string exportId)
    {
        var target = await scope.TryGetTargetAsync();
        if (target is null) return $"target export {exportId}: target QEMU gone";
        try
        {
            await target.Client.BlockExportDelAsync(exportId, Token);
            return $"deleted target export {exportId}";
        }
        catch (QmpException ex) when (ex.Description.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return $"target export {exportId} already gone";
        }
    }

    private async Task<string> UndoSnapshotAsync(LedgerEntry entry)
    {
        var dataset = entry.Details?["dataset"]?.GetValue<string>() ?? entry.Name.Split('@')[0];
        var snapshot = entry.Details?["snapshot"]?.GetValue<string>() ?? entry.Name.Split('@')[^1];
        var targetDataset = entry.Details?["targetDataset"]?.GetValue<string>();
        // A snapshot the target received is the new common base of the replication: keep it.
        if (targetDataset is not null && await new Zfs.ZfsDriver(scope.TargetNode).ExistsAsync(Zfs.ZfsDriver.SnapshotName(targetDataset, snapshot), Token))
            return $"kept {entry.Name}: the target has it (new replication base)";
        var zfs = new Zfs.ZfsDriver(scope.SourceNode);
        var fullName = Zfs.ZfsDriver.SnapshotName(dataset, snapshot);
        var exists = await zfs.ExistsAsync(fullName, Token);
        var found = exists ? await zfs.GetUserPropertyAsync(fullName, Ownership.ZfsProperty, Token) : null;
        switch (Ownership.Decide(exists, found, scope.Owner))
        {
            case UndoVerdict.AlreadyGone:
                return $"snapshot {entry.Name} already gone";
            case UndoVerdict.NotOurs:
                return $"kept {entry.Name}: not taken by this migration ({Ownership.ZfsProperty}={found ?? "not set"})";
        }
        await zfs.DestroyAsync(fullName, cancellationToken: Token);
        return $"destroyed snapshot {entry.Name} (never reached the target)";
    }

    private async Task<string> ThawAsync(LedgerEntry entry)
    {
        var mode = Enum.TryParse<FreezeMode>(entry.Details?["mode"]?.GetValue<string>(), out var m) ? m : FreezeMode.Pause;
        if (await VmOnTargetAsync()) return "guest runs on the target: nothing to thaw on the source";
        var source = await SourceAsync();
        if (source is null) return "source QEMU gone: nothing to thaw";
        var agentSocket = entry.Details?["agentSocket"]?.GetValue<string>() ?? Plan.GuestAgentSocket;
        return await GuestThaw.ThawAsync(source, scope.SourceNode, agentSocket, mode, Token) ? $"guest thawed ({mode})" : "guest was not frozen any more";
    }

    private async Task<string> StopTargetAsync(LedgerEntry entry)
    {
        if (await VmOnTargetAsync()) return "target QEMU runs the VM: kept";
        var recorded = QemuProcessMark.FromJson(entry.Details);
        var found = await QemuProcessMark.ReadAsync(scope.TargetNode, Plan.TargetPidFile, Token);
        var ours = found is not null && (found == recorded || (recorded is null && await IsWaitingForThisMigrationAsync()));
        if (found is not null && !ours)
            return $"kept the QEMU (pid {found.Pid}) of {Plan.TargetPidFile} on {Plan.TargetNode}: not the one this migration started " +
                (recorded is null ? "(its start was never confirmed and it is not waiting for an incoming migration)" : $"(that was pid {recorded.Pid})");
        var target = await scope.TryGetTargetAsync();
        var said = "target QEMU already gone";
        if (target is not null)
        {
            try
            {
                await target.Client.QuitAsync(Token);
            }
            catch (QmpDisconnectedException)
            {
                // It exited while answering quit: that is what we wanted.
            }
            await Task.WhenAny(target.Client.Completion, Task.Delay(EventTimeout, Token));
            said = "target QEMU quit";
        }
        await scope.DropTargetAsync();
        said += await KillAsync(found);
        // Nothing of the VM may stay in the target's socket directory (a dead QEMU leaves its sockets, pid file and log).
        await scope.TargetNode.RunAsync(new NodeCommand("rm", ["-f", "--", .. Plan.TargetRuntimeFiles]), Token);
        await ResumeTarget.RemoveTransientSocketsAsync(scope);
        return said;
    }

    /// <summary>
    /// An unconfirmed target QEMU (the host died between starting it and recording its pid) is still this migration's
    /// when it sits in <c>inmigrate</c>: only a migration target waits there, and one migration per VM holds the VM.
    /// </summary>
    private async Task<bool> IsWaitingForThisMigrationAsync()
    {
        var target = await scope.TryGetTargetAsync();
        return target is not null && (await target.Client.QueryStatusAsync(Token)).Status == RunState.Inmigrate;
    }

    /// <summary>Kills the target QEMU when it did not quit (hung, or QMP unreachable): only the process <paramref name="ours"/> names.</summary>
    private async Task<string> KillAsync(QemuProcessMark? ours)
    {
        if (ours is null) return "";
        var (result, pid) = await QemuProcess.StopAsync(scope.TargetNode, Plan.TargetPidFile, TimeSpan.FromSeconds(2.5), Token, only: ours);
        return result == QemuStopResult.StillAlive ? $"; target QEMU pid {pid} did not die" : "";
    }
}
