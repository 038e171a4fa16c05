using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Definitions;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// The start-time check of a procedure's <c>Site</c> input (the shipped procedures declare one): a site name by the
/// site-name rule (a path such as <c>/etc/passwd</c> or <c>../x</c> is refused without being opened) that is registered,
/// or empty with a default site configured. Run by <c>MigrationAdmission</c> before any lock row is written, so a
/// refused start leaves nothing behind and no node is touched.
/// </summary>
public sealed class SiteInputCheck(ISiteCatalog catalog)
{
    public const string InputName = "Site";

    /// <summary>Why the start is refused, or null when the site is fine or the definition declares no Site input.</summary>
    public async Task<string?> ProblemAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?> inputs, CancellationToken cancellationToken)
    {
        var declared = definition.Inputs.FirstOrDefault(i => string.Equals(i.Name, InputName, StringComparison.OrdinalIgnoreCase));
        if (declared is null)
            return null;
        // Not given: the declared default, as the runtime applies it (a trigger's instance gets only the defaults).
        var given = inputs.Any(p => string.Equals(p.Key, InputName, StringComparison.OrdinalIgnoreCase))
            ? inputs.First(p => string.Equals(p.Key, InputName, StringComparison.OrdinalIgnoreCase)).Value
            : declared.DefaultValue;
        try
        {
            var name = SiteSelection.Name(catalog, given is JsonValue v && v.TryGetValue<string>(out var text) ? text : given?.ToJsonString());
            await catalog.GetAsync(name, cancellationToken);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or SiteNotFoundException or InventoryException)
        {
            return e.Message;
        }
    }
}
