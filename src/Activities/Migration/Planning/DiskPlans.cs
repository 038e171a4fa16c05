using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;
using InventoryDiskKind = Elsa.Migration.Activities.Inventory.DiskKind;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// One disk of the plan from the inventory, for live and offline migration alike: where it is on both nodes and how it
/// moves. An <c>unused</c> disk counts as replicated when both sides are ZFS and already share a snapshot (the replica
/// exists), else as local (copied at the storage level). Raw disks only (a copy's length is the disk's size).
/// </summary>
internal static class DiskPlans
{
    public static async Task<DiskPlan> CreateAsync(SiteInventory inventory, string vmId, DiskDefinition definition, NodeExecutor source, NodeExecutor target,
        CancellationToken ct)
    {
        var s = inventory.ResolveDisk(vmId, definition.Id, source.NodeName);
        var t = inventory.ResolveDisk(vmId, definition.Id, target.NodeName);
        if (definition.Format != "raw")
            throw new InventoryException("plan", [$"disk '{definition.Id}' of VM '{vmId}' is {definition.Format}: the migration handles raw disks only"]);
        var kind = s.Kind switch
        {
            InventoryDiskKind.Shared => MigrationDiskKind.Shared,
            InventoryDiskKind.Local => MigrationDiskKind.Local,
            InventoryDiskKind.Replicated => MigrationDiskKind.Replicated,
            _ => await HasReplicaAsync(source, s, target, t, ct) ? MigrationDiskKind.Replicated : MigrationDiskKind.Local,
        };
        if (kind == MigrationDiskKind.Replicated && (!s.IsZfs || !t.IsZfs))
            throw new InventoryException("plan", [$"disk '{definition.Id}' of VM '{vmId}' is replicated but its storage is not ZFS on both nodes"]);
        return new DiskPlan
        {
            DeviceId = definition.DeviceId ?? definition.Id,
            DriveId = definition.Id,
            NodeName = definition.NodeName ?? "",
            Kind = kind,
            Attached = s.Kind != InventoryDiskKind.Unused,
            SizeBytes = definition.SizeBytes,
            SourcePath = s.Path,
            TargetPath = t.Path,
            SourceDataset = s.Dataset,
            TargetDataset = t.Dataset,
            TargetLayout = t.Layout,
            SourceLayout = s.Layout,
        };
    }

    private static async Task<bool> HasReplicaAsync(NodeExecutor source, ResolvedDisk s, NodeExecutor target, ResolvedDisk t, CancellationToken ct)
    {
        if (!s.IsZfs || !t.IsZfs) return false;
        var common = await ZfsReplicator.NewestCommonSnapshotAsync(new ZfsDriver(source), s.Dataset!, new ZfsDriver(target), t.Dataset!, ct);
        return common is not null;
    }
}
