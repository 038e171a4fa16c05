using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// The <c>cases</c> of Switch and FlowSwitch as Elsa stores them: <c>[{"label", "condition": {"type", "value"}, "activity"}]</c>,
/// either directly or inside an Object expression. Each condition is an expression evaluated to a Boolean.
/// </summary>
internal static class SwitchCases
{
    public sealed record Case(string Label, Expression? Condition, JsonObject? Activity);

    public static IReadOnlyList<Case> Read(ActivityNode? node)
    {
        var json = node?.Json["cases"];
        var list = json as JsonArray
            ?? (json?["expression"]?["value"] is JsonArray inner ? inner
                : json?["expression"]?["value"] is JsonValue text && text.GetValueKind() == JsonValueKind.String && text.GetValue<string>().TrimStart().StartsWith('[')
                    ? JsonNode.Parse(text.GetValue<string>()) as JsonArray : null)
            ?? [];
        return [.. list.OfType<JsonObject>().Select(c => new Case(
            DefinitionReader.Text(c["label"]) ?? "",
            c["condition"] is JsonObject e && DefinitionReader.Text(e["type"]) is { } type ? new Expression(type, e["value"]?.DeepClone()) : null,
            c["activity"] as JsonObject))];
    }

    /// <summary>The cases whose condition holds, in order: the first only, or all of them.</summary>
    public static IReadOnlyList<Case> Matching(ActivityExecutionContext context, IReadOnlyList<Case> cases, SwitchMode mode)
    {
        var matches = new List<Case>();
        foreach (var c in cases)
        {
            if (c.Condition is null || !context.Get(new Input<bool>(c.Condition)))
                continue;
            matches.Add(c);
            if (mode == SwitchMode.MatchFirst)
                break;
        }
        return matches;
    }
}
