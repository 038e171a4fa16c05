using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Replication;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>
/// Offline step 2: moves the stopped VM's disks at the storage level, no QEMU involved. Replicated disks (attached, or
/// unused with a replica): one <c>elsa-mig-</c> snapshot and a final incremental <c>zfs send | zfs recv -F</c> (the
/// replication code, <see cref="DiskReplication"/>). Local and unused disks: a target volume (TargetVolumes, with the
/// migration's ownership mark) and a <c>dd | dd</c> copy whose length must be the disk's size. Everything created is in
/// the ledger first, so Rollback removes exactly that. The VM must still be stopped before and after the copy: a VM
/// started meanwhile makes the copies stale, and the step fails (Rollback).
/// </summary>
[Activity("VmMigration", "VM Migration", "Copies a stopped VM's disks to the target at the storage level: final incremental ZFS send, dd for local and unused disks.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class CopyDisksOffline : CodeActivity
{
    [Input(Description = "Allow a full send of a replicated disk that has no replica on the target yet (never into an existing dataset).",
        DefaultValue = false)]
    public Input<bool>? FullSendIfNoBase { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        await OfflineChecks.RequireStoppedAsync(plan, scope.Token);
        var replicated = plan.Disks.Where(d => d.Kind == MigrationDiskKind.Replicated).ToList();
        if (replicated.Count > 0)
        {
            await SnapshotAsync(scope, replicated);
            foreach (var disk in replicated) await SendAsync(scope, disk, context.Get(FullSendIfNoBase));
        }
        foreach (var disk in plan.Disks.Where(d => d.Kind == MigrationDiskKind.Local))
            await CopyAsync(scope, disk);
        await OfflineChecks.RequireStoppedAsync(plan, scope.Token);
    }

    private static async Task SnapshotAsync(MigrationScope scope, List<DiskPlan> disks)
    {
        if (await MigrationSnapshots.TakeAsync(scope, disks) is not { } taken) return;
        await scope.JournalAsync($"ZFS snapshot {taken.Name} of {string.Join(", ", taken.Disks.Select(d => d.SourceDataset))}" +
            (taken.Atomic || taken.Disks.Count == 1 ? "" : " (one at a time: this zfs takes one snapshot per command; the VM is stopped, so they agree)"),
            new JsonObject { ["snapshot"] = taken.Name, ["atomic"] = taken.Atomic });
    }

    private static async Task SendAsync(MigrationScope scope, DiskPlan disk, bool fullSendIfNoBase)
    {
        var replication = scope.State.ReplicationOf(disk);
        var snapshot = replication.Snapshot ?? throw new InvalidOperationException($"Disk {disk.DriveId} has no snapshot of this migration to send.");
        await scope.RecordAsync(LedgerKinds.ReplicaReceived, scope.Plan.TargetNode, disk.TargetDataset!, new JsonObject { ["snapshot"] = snapshot });
        var sent = await DiskReplication.SendAsync(disk.DriveId, new ZfsDriver(scope.SourceNode), disk.SourceDataset!, snapshot,
            new ZfsDriver(scope.TargetNode), disk.TargetDataset!, fullSendIfNoBase, scope.Token);
        replication.BaseSnapshot = sent.IncrementalFrom;
        replication.Bytes = sent.Bytes;
        scope.SaveState();
        await scope.Context.ReportProgressAsync(new Progress($"replicate {disk.DriveId}", sent.Bytes, sent.Bytes, "bytes"));
        await scope.JournalAsync(
            $"Replicated {disk.DriveId} {disk.SourceDataset}@{snapshot} -> {scope.Plan.TargetNode}:{disk.TargetDataset} " +
            (sent.AlreadyThere ? "(already there)" : sent.IncrementalFrom is null ? "(full send)" : $"(incremental from @{sent.IncrementalFrom})") +
            $": {sent.Bytes} bytes in {sent.Ms:0} ms",
            new JsonObject { ["disk"] = disk.DriveId, ["target"] = scope.Plan.TargetNode, ["bytes"] = sent.Bytes, ["incrementalFrom"] = sent.IncrementalFrom, ["ms"] = sent.Ms });
    }

    private static async Task CopyAsync(MigrationScope scope, DiskPlan disk)
    {
        var entry = await scope.RecordAsync(LedgerKinds.TargetVolume, scope.Plan.TargetNode, disk.TargetPath, TargetVolumes.Details(disk));
        await scope.ConfirmAsync(entry, await TargetVolumes.CreateAsync(scope.TargetNode, disk, scope.Owner, scope.Token));
        var started = scope.Context.Time.GetTimestamp();
        var bytes = await TargetVolumes.CopyAsync(scope.SourceNode, disk.SourcePath, scope.TargetNode, disk.TargetPath, scope.Token);
        var elapsed = scope.Context.Time.GetElapsedTime(started);
        if (bytes != disk.SizeBytes)
            throw new InvalidOperationException($"Copying disk {disk.DriveId} moved {bytes} bytes, but the disk has {disk.SizeBytes}: " +
                $"check {disk.SourcePath} on {scope.Plan.SourceNode} (its size must match the inventory's sizeBytes).");
        scope.State.CopyOf(disk).BytesCopied = bytes;
        scope.SaveState();
        await scope.Context.ReportProgressAsync(new Progress($"disk {disk.DriveId}", bytes, disk.SizeBytes, "bytes", bytes / Math.Max(elapsed.TotalSeconds, 1e-3)));
        await scope.JournalAsync($"Copied {(disk.Attached ? "local" : "unused")} disk {disk.DriveId} ({disk.SourcePath} -> {scope.Plan.TargetNode}:{disk.TargetPath}): " +
            $"{bytes} bytes in {elapsed.TotalMilliseconds:0} ms", new JsonObject { ["disk"] = disk.DriveId, ["bytes"] = bytes, ["ms"] = elapsed.TotalMilliseconds });
    }
}
