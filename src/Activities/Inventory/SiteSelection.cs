using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Inventory;

/// <summary>The site a procedure runs against: its <c>Site</c> input, else the catalog's default, checked by the site-name rule.</summary>
public static class SiteSelection
{
    /// <summary>The site name to use for <paramref name="input"/>; <see cref="ArgumentException"/> when it is empty without a
    /// default or breaks the name rule (a path is refused here, before anything is read).</summary>
    public static string Name(ISiteCatalog catalog, string? input)
    {
        var name = string.IsNullOrWhiteSpace(input) ? catalog.DefaultSite : input;
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("The input Site is empty and no default site is configured (Sites:Default): " +
                                        "give the name of a registered site ('./elsa-migrate site list').");
        if (!NameRules.IsSiteName(name))
            throw new ArgumentException($"Invalid site name '{name}': a site is named with lowercase letters, digits and '-' (1 to 63), " +
                                        "not a path; register the inventory file with './elsa-migrate site import FILE --name NAME' and give NAME.");
        return name;
    }

    /// <summary>The site's name and its latest inventory.</summary>
    public static async Task<(string Name, SiteInventory Inventory)> LoadAsync(ISiteCatalog catalog, string? input, CancellationToken cancellationToken)
    {
        var name = Name(catalog, input);
        return (name, await catalog.GetAsync(name, cancellationToken).ConfigureAwait(false));
    }
}
