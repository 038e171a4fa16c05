using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// The expression types Studio may offer: exactly those our runtime executes (Literal, Object, Json, Variable, Input,
/// JavaScript). CSharp, Liquid and Python are absent on purpose: a definition using them would not run.
/// </summary>
public static class ExpressionDescriptors
{
    private static readonly (string Type, string DisplayName, bool Browsable, string? Monaco)[] Known =
    [
        ("Literal", "Literal", true, ""),
        ("JavaScript", "JavaScript", true, "javascript"),
        ("Object", "Object", false, "json"),
        ("Json", "Json", false, "json"),
        ("Variable", "Variable", false, null),
        ("Input", "Input", false, null),
    ];

    /// <summary>Descriptors for the supported types, in Studio's shape.</summary>
    public static JsonArray For(IReadOnlyCollection<string> supportedTypes)
    {
        var items = new JsonArray();
        foreach (var (type, displayName, browsable, monaco) in Known)
        {
            if (!supportedTypes.Contains(type))
                continue;
            items.Add(new JsonObject
            {
                ["type"] = type,
                ["displayName"] = displayName,
                ["isSerializable"] = true,
                ["isBrowsable"] = browsable,
                ["properties"] = monaco is null ? new JsonObject() : new JsonObject { ["MonacoLanguage"] = monaco },
            });
        }
        return items;
    }

    /// <summary>What the runtime executes, when no evaluator is registered to ask.</summary>
    public static readonly IReadOnlyCollection<string> RuntimeTypes = ["Literal", "Object", "Json", "Variable", "Input", "JavaScript"];
}
