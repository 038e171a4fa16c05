using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Undoes one ledger entry (README.md, "Ledger kinds"). Every undo is idempotent and tolerates a resource that is
/// already gone, so Rollback is safe at any point and safe twice. The one rule above all: when the VM already runs on
/// the target, nothing on the target is touched (except the migration's own bitmaps and verify export, which the
/// running VM does not need) and the source is never resumed.
/// </summary>
internal sealed class LedgerUndo(MigrationScope scope)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);
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
                return await StopTargetAsync();
            case LedgerKinds.TargetVolume:
                if (await VmOnTargetAsync()) return $"kept {entry.Name}: the VM runs on the target";
                await TargetVolumes.DeleteAsync(scope.TargetNode, entry.Name, entry.Details, Token);
                return $"deleted target volume {entry.Name}";
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
        if (Plan.TargetRunning) return (_vmOnTarget = true).Value;
        var target = await scope.TryGetTargetAsync();
        var running = target is not null && (await target.Client.QueryStatusAsync(Token)).Status == RunState.Running;
        _vmOnTarget = running;
        return running;
    }

    private Task<QmpSession?> SourceAsync() => scope.TryGetSourceAsync();

    private async Task<string> UndoMigrationAsync()
    {
        var source = await SourceAsync();
        if (source is null) return "source QEMU is gone: the VM runs nowhere; check the node";
        if (await VmOnTargetAsync()) return "migration completed and the VM runs on the target: source left stopped";
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

    private async Task<string> CancelJobAsync(string jobId)
    {
        var source = await SourceAsync();
        if (source is null) return $"job {jobId}: source QEMU gone";
        var job = (await source.Client.QueryBlockJobsAsync(Token)).FirstOrDefault(j => j.Device == jobId);
        if (job is null) return $"job {jobId} already gone";
        var mark = source.LastSequence;
        if (job.Status == JobStatus.Concluded)
        {
            await source.Client.JobDismissAsync(jobId, Token);
            return $"dismissed concluded job {jobId}";
        }
        await source.Client.BlockJobCancelAsync(jobId, force: true, Token);
        await source.WaitForEventAsync<BlockJobEvent>(mark, e => e.Device == jobId && e is BlockJobCancelledEvent or BlockJobCompletedEvent,
            EventTimeout, $"end of job {jobId}", Token);
        return $"cancelled job {jobId}";
    }

    private async Task<string> RemoveNbdClientAsync(string nodeName)
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
        if (targetDataset is not null && await ZfsCommands.ExistsAsync(scope.TargetNode, ZfsCommands.Full(targetDataset, snapshot), Token))
            return $"kept {entry.Name}: the target has it (new replication base)";
        await ZfsCommands.DestroySnapshotAsync(scope.SourceNode, dataset, snapshot, Token);
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

    private async Task<string> StopTargetAsync()
    {
        if (await VmOnTargetAsync()) return "target QEMU runs the VM: kept";
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
        said += await KillByPidFileAsync();
        await scope.TargetNode.TryRunAsync(new NodeCommand("rm", "-f", "--", Plan.TargetPidFile, Plan.TargetQmpSocket), Token);
        await ResumeTarget.RemoveTransientSocketsAsync(scope);
        return said;
    }

    /// <summary>Kills the target QEMU by its pid file when it did not quit (hung, or QMP unreachable); checks the pid is that QEMU.</summary>
    private async Task<string> KillByPidFileAsync()
    {
        var (result, pid) = await QemuProcess.StopAsync(scope.TargetNode, Plan.TargetPidFile, TimeSpan.FromSeconds(2.5), Token);
        return result == QemuStopResult.StillAlive ? $"; target QEMU pid {pid} did not die" : "";
    }
}
