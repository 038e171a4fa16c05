using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 4: copies the unused (not attached) non-replicated local disks at the storage level; QEMU does not know them.
/// Unused replicated disks are ZfsReplicate's; shared disks need nothing.
/// </summary>
[Activity("VmMigration", "VM Migration", "Copies unused, non-replicated local disks to the target at the storage level.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class MigrateUnusedDisks : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var disks = scope.Plan.Disks.Where(d => !d.Attached && d.Kind == MigrationDiskKind.Local).ToList();
        if (disks.Count == 0)
        {
            await context.JournalAsync("No unused local disk to copy");
            return;
        }
        foreach (var disk in disks)
        {
            var entry = await scope.RecordAsync(LedgerKinds.TargetVolume, scope.Plan.TargetNode, disk.TargetPath, TargetVolumes.Details(disk));
            await scope.ConfirmAsync(entry, await TargetVolumes.CreateAsync(scope.TargetNode, disk, scope.Owner, scope.Token));
            var started = context.Time.GetTimestamp();
            var bytes = await TargetVolumes.CopyAsync(scope.SourceNode, disk.SourcePath, scope.TargetNode, disk.TargetPath, scope.Token);
            var elapsed = context.Time.GetElapsedTime(started);
            scope.State.CopyOf(disk).BytesCopied = bytes;
            scope.SaveState();
            await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", bytes, disk.SizeBytes, "bytes", bytes / Math.Max(elapsed.TotalSeconds, 1e-3)));
            await context.JournalAsync($"Copied unused disk {disk.DeviceId} ({disk.SourcePath} -> {scope.Plan.TargetNode}:{disk.TargetPath}): {bytes} bytes in {elapsed.TotalMilliseconds:0} ms",
                new JsonObject { ["disk"] = disk.DeviceId, ["bytes"] = bytes });
        }
    }
}
