using Elsa.Migration.Activities.Inventory;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Sites;

/// <summary>Configuration section <c>Sites</c>.</summary>
public sealed class SitesOptions
{
    public const string Section = "Sites";

    /// <summary>The site a procedure uses when its <c>Site</c> input is empty (<c>Sites:Default</c>, or <c>Sites__Default</c> in the environment).</summary>
    public string? Default { get; set; }
}

/// <summary><see cref="ISiteCatalog"/> over <see cref="SiteStore"/>: the latest version of a registered site.</summary>
public sealed class DatabaseSiteCatalog(SiteStore store, IOptions<SitesOptions> options) : ISiteCatalog
{
    public string? DefaultSite => string.IsNullOrWhiteSpace(options.Value.Default) ? null : options.Value.Default;

    public async Task<SiteInventory> GetAsync(string site, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(site, null, cancellationToken) ?? throw new SiteNotFoundException(site);
        // Validated when stored; parsed again so a row edited by hand is refused with its problems, not half-used.
        return SiteInventory.Parse(stored.InventoryJson, $"of site '{site}' version {stored.Version}");
    }
}
