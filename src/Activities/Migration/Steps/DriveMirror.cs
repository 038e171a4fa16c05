using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

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
            scope.State.CopyOf(disk).JobEventMark = qmp.Mark();
            var entry = await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "mirror" });
            await qmp.Client.BlockdevMirrorAsync(new BlockdevMirrorOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.Full) { Speed = speed }, scope.Token);
            await scope.ConfirmAsync(entry);
        }
        scope.SaveState();
        await context.JournalAsync(
            $"Full mirror started for {string.Join(", ", disks.Select(d => $"{d.DeviceId} ({d.SizeBytes} B)"))}" + (speed is null ? "" : $", limited to {speed} B/s per disk"),
            new JsonObject { ["disks"] = new JsonArray(disks.Select(d => (JsonNode)d.DeviceId).ToArray()), ["speed"] = speed });
    }
}
