using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>What containers share: finding their child activities in the node's JSON, running a body with the loop's
/// current value, and passing a Break or Complete signal on.</summary>
internal static class Composition
{
    /// <summary>The child activity held in <paramref name="property"/> (e.g. <c>body</c>), or null.</summary>
    public static JsonObject? Child(ActivityExecutionContext context, string property) =>
        context.Activity.Node?.Json[property] is JsonObject child && ActivityTree.IsActivity(child) ? child : null;

    /// <summary>The child activities listed in <paramref name="property"/> (e.g. <c>activities</c>).</summary>
    public static IReadOnlyList<JsonObject> Children(ActivityExecutionContext context, string property) =>
        [.. (context.Activity.Node?.Json[property] as JsonArray ?? []).OfType<JsonObject>().Where(ActivityTree.IsActivity)];

    /// <summary>Runs a loop body (nothing when there is none) with <paramref name="current"/> bound to the variable of the
    /// loop's CurrentValue output, as a local of this iteration.</summary>
    public static async ValueTask<ChildResult> RunBodyAsync<T>(ActivityExecutionContext context, JsonObject? body, Output<T>? currentValue, T current)
    {
        context.Set(currentValue, current);
        if (body is null)
            return new ChildResult([Outcomes.Done]);
        var name = currentValue?.VariableId is { } id ? context.ResolveVariableName(id) : null;
        var locals = name is null ? null : new Dictionary<string, JsonNode?> { [name] = ToNode(current) };
        return await context.RunChildAsync(body, locals);
    }

    /// <summary>Passes a Complete on to the enclosing container; true when the caller must stop (Break or Complete).</summary>
    public static bool Stops(ActivityExecutionContext context, ChildResult result, bool isLoop)
    {
        if (result.Signal == ChildSignal.Complete || (result.Signal == ChildSignal.Break && !isLoop))
        {
            context.Signal(result.Signal, result.Outcomes);
            return true;
        }
        return result.Signal == ChildSignal.Break;
    }

    /// <summary>A collection input's items: a JSON array, a single value as one item, null as none.</summary>
    public static IReadOnlyList<JsonNode?> Items(object? value) => value switch
    {
        null => [],
        JsonArray array => [.. array.Select(i => i?.DeepClone())],
        string text when text.TrimStart().StartsWith('[') => JsonNode.Parse(text) is JsonArray parsed ? [.. parsed] : [],
        string text => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode?)JsonValue.Create(t))],
        JsonNode node => [node.DeepClone()],
        _ => [ToNode(value)],
    };

    public static JsonNode? ToNode(object? value) =>
        value switch { null => null, JsonNode node => node.DeepClone(), _ => JsonSerializer.SerializeToNode(value, value.GetType()) };
}
