using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>
/// Offline step 3, once every disk is on the target: what the migration created now belongs to the VM (its ledger
/// entries are released, so no rollback can remove them), the source's copies of local and unused disks are removed
/// (or kept under a name with the instance id: <c>KeepSourceLocalDisks</c>; the live Cleanup's <see cref="SourceCopies"/>), and old <c>elsa-mig-</c> snapshots of the
/// replicated disks are pruned on both sides, keeping the newest (the common base of the next replication). The VM's
/// profile is node-independent in the inventory: <c>vm start --node TARGET</c> starts it there.
/// </summary>
[Activity("VmMigration", "VM Migration", "Hands the copied disks over to the VM on the target and removes (or keeps, renamed) the source's local copies.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FinishOfflineMigration : CodeActivity
{
    [Input(Description = "Keep the source's copies of local and unused disks, renamed with the instance id (default: remove them).",
        DefaultValue = false)]
    public Input<bool>? KeepSourceLocalDisks { get; set; }

    [Input(Description = "Migration snapshots to keep per replicated disk on each node (the newest; at least 1, the common base).", DefaultValue = 1)]
    public Input<int>? KeepSnapshots { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        foreach (var entry in (await context.GetLedgerAsync()).Where(e => e.ReleasedAt is null &&
                     e.Kind is LedgerKinds.TargetVolume or LedgerKinds.ZfsSnapshot or LedgerKinds.ReplicaReceived))
            await context.ReleaseResourceAsync(entry.Id);
        // The live Cleanup's rule: the target's copy flushed first, then the source's removed or kept renamed.
        var said = (await SourceCopies.RetireAsync(scope, context.Get(KeepSourceLocalDisks)))
            .Select(d => $"{d!["disk"]}: {d["result"]}").ToList();
        var keepSnapshots = Math.Max(1, context.Get(KeepSnapshots));
        foreach (var disk in plan.Disks.Where(d => d.Kind == MigrationDiskKind.Replicated))
        {
            foreach (var (node, dataset) in new[] { (scope.SourceNode, disk.SourceDataset!), (scope.TargetNode, disk.TargetDataset!) })
            {
                var pruned = await new ZfsDriver(node).PruneSnapshotsAsync(dataset, MigrationSnapshots.Prefix, keepSnapshots, scope.Token);
                if (pruned.Count > 0) said.Add($"pruned {pruned.Count} old migration snapshots of {node.NodeName}:{dataset}");
            }
        }
        await context.JournalAsync(
            $"VM {plan.VmId} moved offline {plan.SourceNode} -> {plan.TargetNode}; start it there with " +
            $"'./elsa-migrate vm start --site {plan.Site} --node {plan.TargetNode} {plan.VmId}'. " + string.Join("; ", said),
            new JsonObject { ["steps"] = new JsonArray(said.Select(s => (JsonNode)s).ToArray()) });
    }
}
