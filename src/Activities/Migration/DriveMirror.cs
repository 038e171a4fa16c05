using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Step 5a: full copy of every attached local (non-replicated) disk to the target's NBD export with
/// <c>blockdev-mirror sync:full</c>. The mirror keeps tracking new writes; WaitConvergence awaits its READY event.
/// </summary>
[Activity("VmMigration", "VM Migration", "Starts a full mirror of every attached local disk to the target's NBD export.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class DriveMirror : CodeActivity
{
    [Input(Description = "Bandwidth limit per disk in bytes per second (0 = unlimited).", DefaultValue = 0L)]
    public Input<long>? BandwidthBytesPerSecond { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var disks = scope.Plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Local).ToList();
        if (disks.Count == 0)
        {
            await context.JournalAsync("No attached local disk: nothing to mirror");
            return;
        }
        var speed = context.Get(BandwidthBytesPerSecond) is > 0 and var s ? s : (long?)null;
        var qmp = await scope.SourceAsync();
        foreach (var disk in disks)
        {
            await MirrorSetup.ConnectNbdAsync(scope, qmp, disk);
            await MirrorSetup.RequireNoForeignJobAsync(scope, qmp, disk);
            disk.JobEventMark = qmp.Mark();
            var entry = await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "mirror" });
            await qmp.Client.BlockdevMirrorAsync(new BlockdevMirrorOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.Full) { Speed = speed }, scope.Token);
            await scope.ConfirmAsync(entry);
        }
        scope.SavePlan();
        await context.JournalAsync(
            $"Full mirror started for {string.Join(", ", disks.Select(d => $"{d.DeviceId} ({d.SizeBytes} B)"))}" + (speed is null ? "" : $", limited to {speed} B/s per disk"),
            new JsonObject { ["disks"] = new JsonArray(disks.Select(d => (JsonNode)d.DeviceId).ToArray()), ["speed"] = speed });
    }
}

/// <summary>The NBD client node on the source that a mirror or backup job writes to (shared by DriveMirror and BitmapMirror).</summary>
internal static class MirrorSetup
{
    public static async Task ConnectNbdAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk)
    {
        var nodes = await qmp.Client.QueryNamedBlockNodesAsync(scope.Token);
        if (nodes.Any(n => n.NodeName == disk.NbdClientNode)
            && await scope.RequireOwnAsync(LedgerKinds.NbdClient, disk.NbdClientNode, $"{scope.Plan.SourceNode}'s QEMU")) return; // rerun: already connected
        var entry = await scope.RecordAsync(LedgerKinds.NbdClient, scope.Plan.SourceNode, disk.NbdClientNode, new JsonObject { ["disk"] = disk.DeviceId });
        await qmp.Client.BlockdevAddNbdAsync(disk.NbdClientNode, scope.Plan.NbdAddress, disk.ExportName, scope.Token);
        await scope.ConfirmAsync(entry);
    }

    /// <summary>Refuses a block job of ours by name that someone else started (its undo would cancel their job).</summary>
    public static async Task RequireNoForeignJobAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk)
    {
        if ((await qmp.Client.QueryBlockJobsAsync(scope.Token)).Any(j => j.Device == disk.JobId))
            await scope.RequireOwnAsync(LedgerKinds.BlockJob, disk.JobId, $"{scope.Plan.SourceNode}'s QEMU");
    }
}
