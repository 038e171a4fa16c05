using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// What the migration needs from the site inventory: the plan for one VM and a way to run commands on a node.
/// The implementation adapts the drivers' inventory (<see cref="InventoryMigrationSite"/>).
/// </summary>
public interface IMigrationSite
{
    /// <summary>Builds the migration plan of <paramref name="vmId"/> from the inventory; fails with a clear message for unknown VMs or nodes.</summary>
    Task<MigrationPlan> CreatePlanAsync(string inventoryPath, string vmId, string sourceNode, string targetNode, CancellationToken cancellationToken);

    /// <summary>The executor of a node named in the inventory.</summary>
    NodeExecutor GetNode(string inventoryPath, string nodeName);
}
