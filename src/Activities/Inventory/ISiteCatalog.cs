namespace Elsa.Migration.Activities.Inventory;

/// <summary>
/// The registered sites: validated inventories stored under a name (the host keeps them in its database, the lab in
/// memory). Procedures name a site, never a file, so the server never opens a path an API caller chose.
/// </summary>
public interface ISiteCatalog
{
    /// <summary>The site used when a procedure's <c>Site</c> input is empty; null: the input is required.</summary>
    string? DefaultSite { get; }

    /// <summary>The latest inventory of <paramref name="site"/>; <see cref="SiteNotFoundException"/> when none is registered.</summary>
    Task<SiteInventory> GetAsync(string site, CancellationToken cancellationToken);
}

/// <summary>No inventory is registered under the name; the message says how to register one.</summary>
public sealed class SiteNotFoundException(string site)
    : Exception($"No site '{site}' is registered: register its inventory with './elsa-migrate site import FILE --name {site}' " +
                "(or POST /api/sites), or give the name of a registered site ('./elsa-migrate site list').")
{
    public string Site { get; } = site;
}
