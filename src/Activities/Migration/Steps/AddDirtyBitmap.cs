using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 2: starts a dirty bitmap on every attached replicated disk, all in one QMP transaction (the same instant),
/// BEFORE the replication snapshot: writes between the two are copied twice, which is harmless; a write missed would not be.
/// </summary>
[Activity("VmMigration", "VM Migration", "Adds a dirty bitmap to every attached replicated disk (before the ZFS snapshot).")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class AddDirtyBitmap : CodeActivity
{
    [Input(Description = "Bitmap granularity in bytes (0 = QEMU's default, 64 KiB). Smaller copies less but costs memory.", DefaultValue = 0)]
    public Input<long>? Granularity { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var disks = scope.Plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Replicated).ToList();
        if (disks.Count == 0)
        {
            await context.JournalAsync("No attached replicated disk: no dirty bitmap needed");
            return;
        }
        var granularity = context.Get(Granularity) is > 0 and var g ? g : (long?)null;
        var qmp = await scope.SourceAsync();
        var existing = (await qmp.Client.QueryNamedBlockNodesAsync(scope.Token))
            .SelectMany(n => n.DirtyBitmaps.Select(b => (n.NodeName, b.Name))).ToHashSet();

        // One that exists is ours only on a re-run of this step; anyone else's is refused (its owner may remove it any time).
        foreach (var disk in disks.Where(d => existing.Contains((d.NodeName, d.BitmapName))))
            await scope.RequireOwnAsync(LedgerKinds.DirtyBitmap, $"{disk.NodeName}/{disk.BitmapName}", $"{scope.Plan.SourceNode}'s QEMU");
        var missing = disks.Where(d => !existing.Contains((d.NodeName, d.BitmapName))).ToList();
        var entries = new List<LedgerEntry>();
        foreach (var disk in missing)
            entries.Add(await scope.RecordAsync(LedgerKinds.DirtyBitmap, scope.Plan.SourceNode, $"{disk.NodeName}/{disk.BitmapName}",
                new JsonObject { ["node"] = disk.NodeName, ["bitmap"] = disk.BitmapName }));
        if (missing.Count > 0)
            await qmp.Client.TransactionAsync(missing.Select(d => (TransactionAction)new AddBitmapAction(d.NodeName, d.BitmapName, granularity)), scope.Token);
        foreach (var entry in entries) await scope.ConfirmAsync(entry);

        await context.JournalAsync(
            $"Dirty bitmap recording on {string.Join(", ", disks.Select(d => $"{d.DeviceId} ({d.NodeName})"))}" +
            (missing.Count < disks.Count ? " (some existed already)" : ""),
            new JsonObject { ["bitmaps"] = new JsonArray(disks.Select(d => (JsonNode)d.BitmapName).ToArray()) });
    }
}
