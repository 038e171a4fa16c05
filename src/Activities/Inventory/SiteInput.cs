namespace Elsa.Migration.Activities.Inventory;

/// <summary>The <c>Site</c> input every procedure activity that reads the inventory shares (GetDiskInfo,
/// PlanOfflineMigration, ReplicateVm): one description, so Studio says the same everywhere.</summary>
public static class SiteInput
{
    public const string Description =
        "The registered site (its name, e.g. 'main'; see './elsa-migrate site list') whose inventory has the nodes, VMs and disks. " +
        "Empty: the host's default site (Sites:Default).";
}
