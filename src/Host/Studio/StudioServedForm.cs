using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Puts a stored definition into the form Studio 3.8.2 writes itself before it is served to the editor and viewer:
/// <list type="bullet">
/// <item>a list literal (<c>typeName</c> ending in <c>[]</c>, e.g. a Fork's <c>branches</c>) written as comma-separated
/// text (<c>"Wait,Decide"</c>, which the runtime accepts) becomes the JSON array text Studio parses for the ports; Studio
/// throws <c>JsonException</c> on the comma form and draws an empty canvas;</item>
/// <item>a connection whose source or target activity does not exist is dropped: Studio cannot draw it, so the operator
/// could never remove it, and it was re-sent (and refused at publish) on every save. Dropping it here means the next
/// save is the repaired draft.</item>
/// </list>
/// The runtime reads both forms the same way, so nothing changes for a definition that is run.
/// </summary>
public static class StudioServedForm
{
    public static void Apply(JsonObject? activity)
    {
        if (activity is null)
            return;
        foreach (var (_, value) in activity)
            if (value is JsonObject input && IsListLiteral(input, out var expression, out var text))
                expression["value"] = JsonSerializer.Serialize(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (activity["activities"] is not JsonArray children)
            return;
        foreach (var child in children)
            Apply(child as JsonObject);
        if (activity["connections"] is JsonArray connections)
            DropDangling(connections, children);
    }

    private static bool IsListLiteral(JsonObject input, out JsonObject expression, out string text)
    {
        expression = input["expression"] as JsonObject ?? [];
        text = "";
        return input["typeName"] is JsonValue type && type.TryGetValue<string>(out var typeName) && typeName.EndsWith("[]", StringComparison.Ordinal)
               && expression["type"] is JsonValue kind && kind.TryGetValue<string>(out var k) && k == "Literal"
               && expression["value"] is JsonValue v && v.TryGetValue<string>(out text!) && !text.TrimStart().StartsWith('[');
    }

    private static void DropDangling(JsonArray connections, JsonArray activities)
    {
        var ids = activities.OfType<JsonObject>().Select(a => (a["id"] as JsonValue)?.ToString()).Where(id => id is not null).ToHashSet();
        for (var i = connections.Count - 1; i >= 0; i--)
            if (connections[i] is not JsonObject c || !ids.Contains(EndOf(c, "source")) || !ids.Contains(EndOf(c, "target")))
                connections.RemoveAt(i);
    }

    // Both connection forms Elsa files use: {"source": {"activity", "port"}} and the older {"source": ID, "sourcePort"}.
    private static string? EndOf(JsonObject connection, string end) => connection[end] switch
    {
        JsonObject o => (o["activity"] as JsonValue)?.ToString(),
        JsonValue v => v.ToString(),
        _ => null,
    };
}
