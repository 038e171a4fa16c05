using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Zfs;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>Which part of the replication <see cref="ZfsReplicate"/> runs (the freeze procedure thaws between the two).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReplicationPhase>))]
public enum ReplicationPhase
{
    /// <summary>Snapshot and send.</summary>
    All,
    /// <summary>Only take the snapshots (inside the freeze window).</summary>
    Snapshot,
    /// <summary>Only send the snapshots already taken (after the thaw).</summary>
    Send,
}

/// <summary>
/// Step 3: ZFS replication of every replicated disk, attached or unused, to the target: a snapshot of all of them
/// (one command per node), then <c>zfs send -i NEWEST_COMMON | zfs recv -F</c> (a full send when the target has no
/// common snapshot yet). If replication fails, the dirty bitmaps are removed and the step fails before anything
/// starts on the target.
/// </summary>
[Activity("VmMigration", "VM Migration", "Snapshots the replicated disks and sends them incrementally to the target (zfs send -i | zfs recv -F).")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ZfsReplicate : CodeActivity
{
    [Input(Description = "All: snapshot then send. Snapshot: only the snapshots (inside a freeze). Send: only send snapshots already taken.",
        DefaultValue = ReplicationPhase.All)]
    public Input<ReplicationPhase>? Phase { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var phase = context.Get(Phase);
        var disks = scope.Plan.Disks.Where(d => d.Kind == MigrationDiskKind.Replicated).ToList();
        if (disks.Count == 0)
        {
            await context.JournalAsync("No replicated disk: nothing to replicate");
            return;
        }
        try
        {
            if (phase is ReplicationPhase.All or ReplicationPhase.Snapshot) await SnapshotAsync(scope, disks);
            if (phase is ReplicationPhase.All or ReplicationPhase.Send) await SendAsync(scope, disks);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await RemoveBitmapsAsync(scope);
            throw new InvalidOperationException($"ZFS replication of VM {scope.Plan.VmId} to {scope.Plan.TargetNode} failed; " +
                $"the dirty bitmaps were removed and nothing was started on the target: {ex.Message}", ex);
        }
    }

    private static async Task SnapshotAsync(MigrationScope scope, List<DiskPlan> disks)
    {
        var started = scope.Context.Time.GetTimestamp();
        if (await MigrationSnapshots.TakeAsync(scope, disks) is not { } taken) return;
        await scope.JournalAsync($"ZFS snapshot {taken.Name} of {string.Join(", ", taken.Disks.Select(d => d.SourceDataset))} in {scope.Context.Time.GetElapsedTime(started).TotalMilliseconds:0} ms" +
            (taken.Atomic || taken.Disks.Count == 1 ? "" : " (one at a time: this zfs takes one per command; the disks are mutually consistent only inside a freeze)"),
            new JsonObject { ["snapshot"] = taken.Name, ["atomic"] = taken.Atomic });
    }

    private static async Task SendAsync(MigrationScope scope, List<DiskPlan> disks)
    {
        foreach (var disk in disks)
        {
            var replication = scope.State.ReplicationOf(disk);
            var snapshot = replication.Snapshot ?? throw new InvalidOperationException(
                $"Disk {disk.DeviceId} has no replication snapshot: run ZfsReplicate with Phase = Snapshot (or All) first.");
            var dataset = MigrationSnapshots.SourceDataset(disk);
            var targetDataset = Need(disk.TargetDataset, disk);
            var source = new ZfsDriver(scope.SourceNode);
            var target = new ZfsDriver(scope.TargetNode);
            if (await target.ExistsAsync(ZfsDriver.SnapshotName(targetDataset, snapshot), scope.Token)) continue; // already received (rerun)
            // Same name and same guid: a same-named snapshot of another history is no base.
            var common = (await ZfsReplicator.NewestCommonSnapshotAsync(source, dataset, target, targetDataset, scope.Token))?.Name;
            replication.BaseSnapshot = common;
            // A full stream into an existing dataset would replace it (recv -F): never overwrite what is there.
            if (common is null && await target.ExistsAsync(targetDataset, scope.Token))
                throw new InvalidOperationException($"{scope.Plan.TargetNode}:{targetDataset} exists but shares no snapshot (name and guid) with " +
                    $"{scope.Plan.SourceNode}:{dataset}: an incremental send is impossible and a full one would overwrite it. " +
                    "Check which copy is current; remove or rename the target dataset to replicate it afresh.");
            await scope.RecordAsync(LedgerKinds.ReplicaReceived, scope.Plan.TargetNode, targetDataset,
                new JsonObject { ["snapshot"] = snapshot, ["base"] = common });
            var started = scope.Context.Time.GetTimestamp();
            var bytes = (await new ZfsReplicator().SendReceiveAsync(source, dataset, snapshot, common, target, targetDataset, null, scope.Token)).BytesTransferred;
            var elapsed = scope.Context.Time.GetElapsedTime(started);
            await scope.Context.ReportProgressAsync(new Progress($"replicate {disk.DeviceId}", bytes, bytes, "bytes",
                bytes / Math.Max(elapsed.TotalSeconds, 1e-3), $"{dataset}@{snapshot} sent"));
            replication.Bytes = bytes;
            scope.SaveState();
            await scope.JournalAsync(
                $"Replicated {dataset}@{snapshot} -> {scope.Plan.TargetNode}:{targetDataset} " +
                (common is null ? "(full: no common snapshot)" : $"(incremental from @{common})") + $": {bytes} bytes in {elapsed.TotalMilliseconds:0} ms",
                new JsonObject { ["disk"] = disk.DeviceId, ["bytes"] = bytes, ["base"] = common, ["ms"] = elapsed.TotalMilliseconds });
        }
    }

    /// <summary>Replication failed: a bitmap without a replica underneath is useless and must not survive.</summary>
    private static async Task RemoveBitmapsAsync(MigrationScope scope)
    {
        var qmp = await scope.SourceAsync();
        foreach (var disk in scope.Plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Replicated))
        {
            try
            {
                await qmp.Client.BlockDirtyBitmapRemoveAsync(disk.NodeName, disk.BitmapName, scope.Token);
            }
            catch (QmpException ex) when (ex.Description.Contains("not found", StringComparison.OrdinalIgnoreCase))
            {
                // Already gone: nothing to remove.
            }
            await scope.ReleaseAsync(LedgerKinds.DirtyBitmap, $"{disk.NodeName}/{disk.BitmapName}");
        }
    }

    private static string Need(string? dataset, DiskPlan disk) => dataset ?? throw new InvalidOperationException(
        $"Replicated disk {disk.DeviceId} has no ZFS dataset in the inventory: give its dataset on both nodes.");
}
