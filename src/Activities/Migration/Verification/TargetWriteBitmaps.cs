using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Verification;

/// <summary>
/// Dirty bitmaps on the target QEMU's disk nodes that record what the copy passes wrote there: every pass (mirror,
/// backup pass, the soft-cancel drain) arrives through the target's NBD export into that node. <c>mig-last-DEV</c> is
/// cleared once every copy converged (WaitConvergence), so afterwards it marks what the copies wrote from then to the
/// switchover: the mirrors through the RAM migration, the drains and the final passes; <c>mig-copied-DEV</c> (replicated disks only: on a mirrored local disk it would mark everything) marks
/// all QEMU copied on top of the ZFS replica. VerifyDisks (Sampled) compares those regions in full
/// (<see cref="TargetBitmapMap"/>). Stock QEMU cannot hand out a bitmap's contents over QMP, hence the bitmaps on the
/// target, where an NBD export can publish them after the migration (the source's disks are inactive by then).
/// </summary>
internal static class TargetWriteBitmaps
{
    /// <summary>The bitmaps tracked for <paramref name="disk"/> on the target.</summary>
    public static IReadOnlyList<string> For(DiskPlan disk) =>
        disk.Kind == MigrationDiskKind.Replicated ? [disk.LastPassBitmap, disk.CopiedBitmap] : [disk.LastPassBitmap];

    /// <summary>PrepareTarget: records every bitmap in the ledger, then adds them all in one <c>transaction</c> (all or none).</summary>
    public static async Task AddAsync(MigrationScope scope, QmpSession target, IReadOnlyList<DiskPlan> disks)
    {
        foreach (var disk in disks)
            foreach (var bitmap in For(disk))
                await scope.RecordAsync(LedgerKinds.TargetBitmap, scope.Plan.TargetNode, $"{disk.NodeName}/{bitmap}",
                    new JsonObject { ["node"] = disk.NodeName, ["bitmap"] = bitmap });
        var actions = disks.SelectMany(d => For(d).Select(b => (TransactionAction)new AddBitmapAction(d.NodeName, b))).ToList();
        if (actions.Count > 0) await target.Client.TransactionAsync(actions, scope.Token);
        foreach (var disk in disks) scope.State.TargetBitmaps[disk.DeviceId] = [.. For(disk)];
    }

    /// <summary>
    /// WaitConvergence, once every copy converged: clears every last-pass bitmap in one <c>transaction</c>, so from here on
    /// it marks what the copies write until the switchover (the mirrors during the RAM migration, the drains, the final passes).
    /// </summary>
    public static Task ClearLastPassAsync(QmpSession target, IEnumerable<DiskPlan> disks, MigrationState state, CancellationToken ct)
    {
        var actions = disks.Where(d => state.TargetBitmapsOf(d).Contains(d.LastPassBitmap))
            .Select(d => (TransactionAction)new ClearBitmapAction(d.NodeName, d.LastPassBitmap)).ToList();
        return actions.Count == 0 ? Task.CompletedTask : target.Client.TransactionAsync(actions, ct);
    }

    /// <summary>Removes one target bitmap; tolerates it being gone (with its QEMU, or by an earlier run).</summary>
    public static async Task<string> RemoveAsync(QmpSession? target, string node, string bitmap, CancellationToken ct)
    {
        var gone = $"target bitmap {node}/{bitmap}: target QEMU gone (bitmaps lived only in its memory)";
        if (target is null) return gone;
        try
        {
            var exists = (await target.Client.QueryNamedBlockNodesAsync(ct)).Any(n => n.NodeName == node && n.DirtyBitmaps.Any(b => b.Name == bitmap));
            if (!exists) return $"target bitmap {node}/{bitmap} already gone";
            await target.Client.BlockDirtyBitmapRemoveAsync(node, bitmap, ct);
            return $"removed target bitmap {node}/{bitmap}";
        }
        catch (Exception e) when (e is QmpDisconnectedException or IOException)
        {
            // The target QEMU is exiting (migrate_cancel makes it quit): its bitmaps go with it; the target-qemu undo
            // that follows makes sure the process is gone.
            return gone;
        }
    }
}
