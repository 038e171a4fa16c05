using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// A disk of the VM that replication sends, with its dataset on every node of the VM's replication list.
/// <c>Attached</c> is false for an unused disk: replicated only to targets that already hold a replica of it.
/// </summary>
public sealed record ReplicatedDisk(string DiskId, bool Attached, IReadOnlyDictionary<string, string> DatasetOnNode)
{
    public string DatasetOn(string node) => DatasetOnNode[node];
}

/// <summary>
/// What one replication run of a VM does, from the inventory alone (nothing asked of any node yet): the source node
/// (where the disks are now), the targets (the VM's <c>replication.nodes</c> minus the source) and the disks: every
/// <c>replicated</c> disk, and every <c>unused</c> disk on ZFS storage.
/// </summary>
public sealed record VmReplicationPlan(string VmId, string SourceNode, IReadOnlyList<string> Targets, IReadOnlyList<ReplicatedDisk> Disks)
{
    /// <summary>Builds the plan; an <see cref="InventoryException"/> says what is wrong and what to do.</summary>
    public static VmReplicationPlan Create(SiteInventory inventory, string vmId, string sourceNode)
    {
        NameRules.Require(vmId, NameRules.IsVmId, "VM id");
        NameRules.Require(sourceNode, NameRules.IsNodeName, "source node name");
        var vm = inventory.GetVm(vmId);
        inventory.GetNode(sourceNode);
        var nodes = vm.Replication?.Nodes ?? [];
        if (nodes.Count == 0)
            throw InventoryException.NotFound($"VM '{vmId}' has no replication nodes: add \"replication\": {{ \"nodes\": [...] }} to it in the inventory");
        if (!nodes.Contains(sourceNode))
            throw InventoryException.NotFound($"VM '{vmId}': the source node '{sourceNode}' is not one of its replication nodes ({string.Join(", ", nodes)}); " +
                "give the node its disks are on now, or add that node to replication.nodes");
        var targets = vm.Replication!.TargetsFrom(sourceNode);
        if (targets.Count == 0)
            throw InventoryException.NotFound($"VM '{vmId}' lists only '{sourceNode}' in replication.nodes: add the nodes that keep a copy");
        var disks = new List<ReplicatedDisk>();
        foreach (var disk in vm.Disks)
        {
            var kind = InventoryValidator.ParseKind(disk.Kind);
            if (kind is not (DiskKind.Replicated or DiskKind.Unused)) continue;
            var resolved = nodes.Select(n => inventory.ResolveDisk(vmId, disk.Id, n)).ToList();
            if (resolved.Any(r => !r.IsZfs))
            {
                if (kind == DiskKind.Unused) continue; // an unused disk on non-ZFS storage is copied by migrations, never replicated
                throw InventoryException.NotFound($"disk '{disk.Id}' of VM '{vmId}' is replicated but is not on ZFS on every replication node");
            }
            disks.Add(new ReplicatedDisk(disk.Id, kind == DiskKind.Replicated, resolved.ToDictionary(r => r.Node, r => r.Dataset!)));
        }
        if (disks.Count == 0)
            throw InventoryException.NotFound($"VM '{vmId}' has no replicated disk: mark the disks to replicate \"kind\": \"replicated\"");
        return new VmReplicationPlan(vmId, sourceNode, targets, disks);
    }
}
