using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Puts back what Studio's typed model drops when it saves a definition it opened: Studio 3.8.2 reads workflow inputs,
/// outputs and variables into its own classes, so properties it has no field for (an input's <c>isRequired</c>,
/// <c>defaultValue</c>, <c>typeName</c>) are missing from every auto-save, and a required input would silently become
/// optional. Studio cannot edit those properties, so the previous version's values are the operator's intent.
/// </summary>
public static class StudioDroppedProperties
{
    private static readonly string[] NamedArrays = ["inputs", "outputs", "variables"];

    /// <summary>For each entry of <paramref name="model"/>'s inputs, outputs and variables that the previous version has
    /// with the same name and type, copies the previous entry's properties that the model lacks or holds as null.</summary>
    public static void Restore(JsonObject model, JsonObject previous)
    {
        foreach (var array in NamedArrays)
        {
            if (model[array] is not JsonArray saved || previous[array] is not JsonArray before)
                continue;
            var byName = before.OfType<JsonObject>().Where(e => Name(e) is not null).GroupBy(Name).ToDictionary(g => g.Key!, g => g.First());
            foreach (var entry in saved.OfType<JsonObject>())
            {
                // A renamed or retyped entry is a new one: nothing of the old one applies to it.
                if (Name(entry) is not { } name || !byName.TryGetValue(name, out var old) || TypeOf(entry) != TypeOf(old))
                    continue;
                foreach (var (property, value) in old)
                    if (value is not null && entry[property] is null)
                        entry[property] = value.DeepClone();
            }
        }
    }

    private static string? Name(JsonObject entry) => (entry["name"] as JsonValue)?.TryGetValue<string>(out var s) == true ? s : null;

    // Inputs carry "type" (Studio) and "typeName" (Elsa files); variables carry "typeName" only.
    private static string? TypeOf(JsonObject entry) =>
        (entry["type"] ?? entry["typeName"]) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
