using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>
/// The plan of an offline migration from the inventory and the disks' ZFS state, without QEMU (GetDiskInfo's planning
/// asks the running QEMU; here no QEMU may run). The same <see cref="MigrationPlan"/> as a live migration, so the
/// shipped Rollback and the ledger work unchanged: no target QEMU arguments, no NBD or migration endpoints in use.
/// Disks as for live migration (<see cref="DiskPlans"/>).
/// </summary>
internal static class OfflinePlanner
{
    public static async Task<MigrationPlan> CreateAsync(SiteInventory inventory, string site, string vmId, string sourceNode, string targetNode,
        CancellationToken ct)
    {
        NameRules.Require(vmId, NameRules.IsVmId, "VM id");
        NameRules.Require(sourceNode, NameRules.IsNodeName, "source node name");
        NameRules.Require(targetNode, NameRules.IsNodeName, "target node name");
        if (sourceNode == targetNode) throw new ArgumentException($"SourceNode and TargetNode are both '{sourceNode}': choose a different target node.");
        var vm = inventory.GetVm(vmId);
        inventory.GetNode(sourceNode);
        inventory.GetNode(targetNode);
        var source = inventory.CreateExecutor(sourceNode);
        var target = inventory.CreateExecutor(targetNode);
        var disks = new List<DiskPlan>();
        foreach (var definition in vm.Disks)
            disks.Add(await DiskPlans.CreateAsync(inventory, vmId, definition, source, target, ct));
        var sourcePaths = inventory.RuntimePaths(vmId, sourceNode);
        var targetPaths = inventory.RuntimePaths(vmId, targetNode);
        return new MigrationPlan
        {
            VmId = vmId,
            SourceNode = sourceNode,
            TargetNode = targetNode,
            Site = site,
            SourceNodeDefinition = inventory.GetNode(sourceNode),
            TargetNodeDefinition = inventory.GetNode(targetNode),
            SourceQmpSocket = sourcePaths.QmpSocket,
            SourcePidFile = sourcePaths.PidFile,
            TargetQmpSocket = targetPaths.QmpSocket,
            TargetPidFile = targetPaths.PidFile,
            NbdSocket = targetPaths.NbdSocket,
            MigrationSocket = targetPaths.MigrationSocket,
            TargetQemuArgs = [],
            Disks = disks,
        };
    }
}
