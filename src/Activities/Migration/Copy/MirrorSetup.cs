using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Copy;

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
