using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Host.Sites;

/// <summary>What registering a site decided: the stored version, or every problem (nothing stored).</summary>
public sealed record SiteRegistrationResult(StoredSite? Stored, IReadOnlyList<string> Problems);

/// <summary>
/// Registers a site for the CLI (<c>site import</c>) and the API (<c>POST /api/sites</c>): the name by the site-name
/// rule and the inventory by <see cref="SiteInventory.Parse"/> (every problem listed) are checked before anything is
/// stored; a refused registration leaves the database as it was.
/// </summary>
public sealed class SiteRegistration(SiteStore store)
{
    public async Task<SiteRegistrationResult> RegisterAsync(string? name, string inventoryJson, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!NameRules.IsSiteName(name))
            problems.Add($"The site name '{name}' is not valid: use lowercase letters, digits and '-' (1 to 63, not starting with '-').");
        SiteInventory? inventory = null;
        try
        {
            inventory = SiteInventory.Parse(inventoryJson, $"of site '{name}'");
        }
        catch (InventoryException e)
        {
            problems.AddRange(e.Problems);
        }
        if (problems.Count > 0 || inventory is null)
            return new SiteRegistrationResult(null, problems);
        // Stored as written back by the model: the comments and unknown formatting of the operator's file are not kept,
        // and what is stored is exactly what was validated.
        return new SiteRegistrationResult(await store.AddVersionAsync(name!, inventory.ToJson(), cancellationToken), []);
    }
}
