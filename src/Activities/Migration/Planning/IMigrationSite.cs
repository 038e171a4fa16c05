using Elsa.Migration.Activities.Inventory;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// How a migration is planned from a site's inventory (<see cref="InventoryMigrationSite"/>). The plan carries the two
/// node definitions, so the steps after it reach the nodes from the plan alone (<see cref="MigrationScope"/>).
/// </summary>
public interface IMigrationSite
{
    /// <summary>Builds the migration plan of <paramref name="vmId"/> from <paramref name="inventory"/> (registered as
    /// <paramref name="site"/>); fails with a clear message for unknown VMs or nodes.</summary>
    Task<MigrationPlan> CreatePlanAsync(SiteInventory inventory, string site, string vmId, string sourceNode, string targetNode, CancellationToken cancellationToken);
}
