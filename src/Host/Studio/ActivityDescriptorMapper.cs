using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Turns the registry's descriptors (generated from the activity classes' attributes) into Elsa Studio 3.8.2 activity
/// descriptors. This is the only place that knows Studio's shape; there is no second, hand-written list of activities.
/// </summary>
public static class ActivityDescriptorMapper
{
    /// <summary>Studio's container for the root of every definition; it must be described though it is not an activity of ours.</summary>
    public const string FlowchartType = "Elsa.Flowchart";

    /// <summary>Every registry descriptor as Studio JSON, plus <c>Elsa.Flowchart</c> when the registry has none.</summary>
    public static JsonArray MapAll(IActivityRegistry registry)
    {
        var items = new JsonArray();
        foreach (var descriptor in registry.Descriptors.OrderBy(d => d.Category).ThenBy(d => d.DisplayName))
            items.Add(Map(descriptor));
        if (registry.Find(FlowchartType) is null)
            items.Add(Flowchart());
        return items;
    }

    /// <summary>One activity descriptor in Studio's shape.</summary>
    public static JsonObject Map(ActivityDescriptor d) => new()
    {
        ["typeName"] = d.TypeName,
        ["namespace"] = d.Namespace,
        ["name"] = d.Name,
        ["version"] = d.Version,
        ["category"] = d.Category,
        ["displayName"] = d.DisplayName,
        ["description"] = d.Description,
        ["inputs"] = new JsonArray([.. d.Inputs.Select(MapInput)]),
        ["outputs"] = new JsonArray([.. d.Outputs.Select((o, i) => (JsonNode)MapOutput(o, i))]),
        ["kind"] = "Action",
        // Terminal activities (Elsa.Finish) and the flowchart canvas have no outbound port; the others one per declared outcome.
        ["ports"] = new JsonArray([.. (d.IsTerminal || d.TypeName == FlowchartType ? [] : d.Outcomes).Select(o => (JsonNode)new JsonObject
        {
            ["name"] = o, ["displayName"] = o, ["type"] = "Flow", ["isBrowsable"] = true,
        })]),
        ["customProperties"] = new JsonObject { ["Outcomes"] = new JsonArray([.. d.Outcomes.Select(o => (JsonNode)JsonValue.Create(o))]) },
        ["constructionProperties"] = new JsonObject(),
        // The designer opens Elsa.Flowchart as the canvas; it is not a palette item.
        ["isContainer"] = d.TypeName == FlowchartType,
        ["isBrowsable"] = d.TypeName != FlowchartType,
        ["isStart"] = d.IsStart,
        ["isTerminal"] = d.IsTerminal,
    };

    private static JsonNode MapInput(InputDescriptor input)
    {
        var json = new JsonObject
        {
            ["name"] = input.Name,
            ["typeName"] = input.TypeName,
            ["displayName"] = input.DisplayName,
            ["description"] = Description(input),
            ["order"] = input.Order,
            ["isBrowsable"] = true,
            ["isSynthetic"] = false,
            ["isWrapped"] = true,
            ["uiHint"] = input.UIHint,
            ["category"] = input.Category,
            ["defaultValue"] = DefaultValue(input.DefaultValue),
            ["defaultSyntax"] = "Literal",
            ["isReadOnly"] = false,
            ["isSensitive"] = input.IsSensitive,
            ["storageDriverType"] = null,
            ["uiSpecifications"] = null,
        };
        if (input.Options is { Count: > 0 } options)
        {
            // Studio's dropdown editor reads uiSpecifications.dropdown as a SelectList {items: [{text, value}], isFlagsEnum}.
            json["uiSpecifications"] = new JsonObject
            {
                [InputUIHints.Dropdown] = new JsonObject
                {
                    ["items"] = new JsonArray([.. options.Select(o => (JsonNode)new JsonObject { ["text"] = o, ["value"] = o })]),
                    ["isFlagsEnum"] = false,
                },
            };
        }
        return json;
    }

    private static JsonObject MapOutput(OutputDescriptor output, int order) => new()
    {
        ["name"] = output.Name,
        ["typeName"] = output.TypeName,
        ["displayName"] = output.DisplayName,
        ["description"] = output.Description,
        ["order"] = order,
        ["isBrowsable"] = true,
        ["isSynthetic"] = false,
    };

    // The text the designer shows for the input; Studio has no field for the rules the runtime applies, so they are written here.
    private static string? Description(InputDescriptor input)
    {
        var notes = new List<string>();
        if (input.Default is { ZeroOrLessMeansDefault: true } fallback)
            notes.Add($"0 or less: {fallback.Value}");
        if (input.Required)
            notes.Add("required");
        return notes.Count == 0 || string.IsNullOrEmpty(input.Description) ? input.Description : $"{input.Description} ({string.Join("; ", notes)})";
    }

    // The default the runtime applies, as a literal Studio writes: numbers and booleans as JSON values, a list as its
    // JSON text (["Done"]), anything else as text (an enum by name, a TimeSpan as 00:05:00).
    private static JsonNode? DefaultValue(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b,
        int i => i,
        long l => l,
        double x => x,
        System.Collections.IEnumerable list => JsonSerializer.Serialize(list, list.GetType()),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    private static JsonObject Flowchart() => new()
    {
        ["typeName"] = FlowchartType,
        ["namespace"] = "Elsa",
        ["name"] = "Flowchart",
        ["version"] = 1,
        ["category"] = "Flow",
        ["displayName"] = "Flowchart",
        ["description"] = "A flowchart is a collection of activities and connections between them.",
        ["inputs"] = new JsonArray(),
        ["outputs"] = new JsonArray(),
        ["kind"] = "Action",
        ["ports"] = new JsonArray(),
        ["customProperties"] = new JsonObject(),
        ["constructionProperties"] = new JsonObject(),
        ["isContainer"] = true,
        ["isBrowsable"] = false,
        ["isStart"] = false,
        ["isTerminal"] = false,
    };
}
