using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Finds the activities nested inside an activity's JSON, whatever its type (so unknown containers are searched too):
/// any property holding an activity object (<c>body</c>, <c>then</c>, <c>root</c>) or an array of them
/// (<c>activities</c>), and the <c>activity</c> of each case of a Switch (<c>cases[i].activity</c>, also inside an
/// Object expression). An activity object has an <c>id</c> and a <c>type</c>, and is not an input or a variable.
/// </summary>
public static class ActivityTree
{
    /// <summary>The activities directly inside <paramref name="activity"/>, each with its JSON path below <paramref name="path"/>.</summary>
    public static IEnumerable<(JsonObject Activity, string Path)> Children(JsonObject activity, string path)
    {
        foreach (var (name, value) in activity)
        {
            if (name is "metadata" or "customProperties")
                continue;
            if (value is JsonObject single)
            {
                if (IsActivity(single))
                    yield return (single, $"{path}.{name}");
                else if (single["expression"]?["value"] is JsonArray cases)
                    foreach (var found in Cases(cases, $"{path}.{name}.expression.value"))
                        yield return found;
            }
            else if (value is JsonArray array)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject item && IsActivity(item))
                        yield return (item, $"{path}.{name}[{i}]");
                }
                foreach (var found in Cases(array, $"{path}.{name}"))
                    yield return found;
            }
        }
    }

    /// <summary><paramref name="activity"/> and every activity nested in it, depth first, with paths.</summary>
    public static IEnumerable<(JsonObject Activity, string Path)> Descendants(JsonObject activity, string path)
    {
        yield return (activity, path);
        foreach (var (child, childPath) in Children(activity, path))
            foreach (var found in Descendants(child, childPath))
                yield return found;
    }

    /// <summary>True for an activity object: an <c>id</c> and a <c>type</c>, not an input (<c>expression</c>) or a variable (<c>typeName</c>).</summary>
    public static bool IsActivity(JsonObject o) =>
        DefinitionReader.Text(o["type"]) is { Length: > 0 } && o["id"] is JsonValue && !o.ContainsKey("expression") && !o.ContainsKey("typeName");

    private static IEnumerable<(JsonObject, string)> Cases(JsonArray cases, string path)
    {
        for (var i = 0; i < cases.Count; i++)
        {
            if (cases[i] is JsonObject c && c["activity"] is JsonObject inCase && IsActivity(inCase))
                yield return (inCase, $"{path}[{i}].activity");
        }
    }
}
