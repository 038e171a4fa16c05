using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>Compares a saved or exported definition with the shipped file it came from: every activity, connection,
/// variable, input and custom property as shipped, except the value of the one literal input that was edited.
/// Studio regenerates two layout details on every save, as Elsa's own Studio does: an activity's <c>nodeId</c> (the path
/// from its root, named after Studio's root) and its measured <c>metadata.designer.size</c>; neither is compared. It also
/// writes optional properties it knows as <c>null</c> (<c>storageDriverTypeName</c>, <c>memoryReference</c>): a null
/// property and an absent one read the same, so null-valued properties are dropped on both sides.</summary>
internal static class ShippedFlowchartAssert
{
    public static JsonObject ActivityOf(JsonNode definition, string activityId) =>
        definition["root"]!["activities"]!.AsArray().OfType<JsonObject>().Single(a => a["id"]!.GetValue<string>() == activityId);

    public static void SameExceptTheEdit(string shippedJson, string savedJson, string editedActivity, string editedInput)
    {
        var shipped = WithoutEditedValue(shippedJson, editedActivity, editedInput);
        var saved = WithoutEditedValue(savedJson, editedActivity, editedInput);

        var shippedActivities = ById(shipped["root"]!["activities"]!);
        var savedActivities = ById(saved["root"]!["activities"]!);
        Assert.Equal(shippedActivities.Keys.Order(), savedActivities.Keys.Order());
        var changed = shippedActivities
            .Where(a => !JsonNode.DeepEquals(a.Value, savedActivities[a.Key]))
            .Select(a => $"'{a.Key}':\n  shipped: {a.Value.ToJsonString()}\n  saved:   {savedActivities[a.Key].ToJsonString()}")
            .ToList();
        Assert.True(changed.Count == 0, "Activities changed besides the edit:\n" + string.Join("\n", changed));

        var shippedConnections = Canonical(shipped["root"]!["connections"]!);
        var savedConnections = Canonical(saved["root"]!["connections"]!);
        Assert.Equal(shippedConnections, savedConnections);

        var changedProperties = new[] { "definitionId", "name", "description", "variables", "inputs", "outputs", "outcomes", "customProperties", "options" }
            .Where(p => !JsonNode.DeepEquals(shipped[p], saved[p]))
            .Select(p => $"'{p}':\n  shipped: {shipped[p]?.ToJsonString()}\n  saved:   {saved[p]?.ToJsonString()}")
            .ToList();
        Assert.True(changedProperties.Count == 0, "Definition properties changed:\n" + string.Join("\n", changedProperties));
    }

    private static JsonObject WithoutEditedValue(string json, string editedActivity, string editedInput)
    {
        var definition = JsonNode.Parse(json)!.AsObject();
        // The edited input keeps its type and expression type; Studio rewrites the rest of it (value, memoryReference: null).
        var activity = ActivityOf(definition, editedActivity);
        var input = activity[editedInput]!;
        var expressionType = input["expression"]!["type"]!.GetValue<string>();
        Assert.Equal("Literal", expressionType);
        activity[editedInput] = new JsonObject { ["typeName"] = input["typeName"]!.GetValue<string>(), ["expressionType"] = expressionType };
        foreach (var each in definition["root"]!["activities"]!.AsArray().OfType<JsonObject>())
        {
            each.Remove("nodeId");
            (each["metadata"]?["designer"] as JsonObject)?.Remove("size");
        }
        DropNulls(definition);
        return definition;
    }

    private static void DropNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Where(p => p.Value is null).Select(p => p.Key).ToList())
                    o.Remove(name);
                foreach (var (_, value) in o)
                    DropNulls(value);
                break;
            case JsonArray a:
                foreach (var item in a)
                    DropNulls(item);
                break;
        }
    }

    private static Dictionary<string, JsonNode> ById(JsonNode activities) =>
        activities.AsArray().OfType<JsonObject>().ToDictionary(a => a["id"]!.GetValue<string>(), a => (JsonNode)a);

    // Order of connections carries no meaning; each one compared whole, as text of its canonical JSON.
    private static List<string> Canonical(JsonNode connections) =>
        connections.AsArray().Select(c => c!.ToJsonString()).Order(StringComparer.Ordinal).ToList();
}
