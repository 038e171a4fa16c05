using Elsa.Migration.Activities.Inventory;

namespace Elsa.Migration.Lab;

/// <summary>
/// The lab's site catalog: one site, <see cref="SiteName"/>, whose inventory is the lab's current one (the lab rewrites
/// it as VMs are added, so it is read at each lookup, never copied at construction). No default site: a
/// harness that forgets the <c>Site</c> input fails instead of passing by accident.
/// </summary>
public sealed class LabSiteCatalog(LabEnvironment lab) : ISiteCatalog
{
    public const string SiteName = "lab";

    public string? DefaultSite => null;

    public Task<SiteInventory> GetAsync(string site, CancellationToken cancellationToken) =>
        site == SiteName ? Task.FromResult(lab.Inventory) : Task.FromException<SiteInventory>(new SiteNotFoundException(site));
}
