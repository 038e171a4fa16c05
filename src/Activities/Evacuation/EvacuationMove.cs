using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>One VM of an evacuation: where it runs and where it goes. As JSON (an item of the plan's <c>Moves</c>):
/// <c>{"vmId", "sourceNode", "targetNode"}</c>.</summary>
public sealed record EvacuationMove(string VmId, string SourceNode, string TargetNode)
{
    public JsonObject ToJson() => new() { ["vmId"] = VmId, ["sourceNode"] = SourceNode, ["targetNode"] = TargetNode };

    /// <summary>A move from its JSON form; null when a field is missing.</summary>
    public static EvacuationMove? FromJson(JsonNode? json) =>
        json is JsonObject o && Text(o["vmId"]) is { } vm && Text(o["sourceNode"]) is { } source && Text(o["targetNode"]) is { } target
            ? new EvacuationMove(vm, source, target)
            : null;

    internal static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : null;
}
