using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// A validation problem as the designer shows it: named by the activity's display name and id as the canvas shows
/// them (a connection by the activities at its ends), not by a JSON path with line and column, which mean nothing in
/// Studio (it never shows the JSON it sends).
/// </summary>
public static partial class StudioProblemText
{
    public static string Describe(ValidationProblem problem, JsonObject? definition)
    {
        var prefix = problem.Severity == ProblemSeverity.Warning ? "warning: " : "";
        var root = definition?["root"] as JsonObject;
        if (ActivityId().Match(problem.Location) is { Success: true } a)
            return $"{prefix}{Name(root, a.Groups[1].Value)}: {problem.Message}";
        if (ConnectionIndex().Match(problem.Location) is { Success: true } c && root?["connections"] is JsonArray connections
            && int.TryParse(c.Groups[1].Value, out var index) && index < connections.Count && connections[index] is JsonObject connection)
            return $"{prefix}Connection from {Name(root, End(connection, "source"))} to {Name(root, End(connection, "target"))}: {problem.Message}";
        return prefix + problem.Message;
    }

    /// <summary>"'Display name' (Type, id X)", or just the id when no such activity exists (a dangling end).</summary>
    private static string Name(JsonObject? root, string? id)
    {
        var activity = Find(root, id);
        if (activity is null)
            return $"'{id}' (no such activity)";
        var shown = Text(activity["metadata"]?["displayText"]) ?? Text(activity["name"]) ?? id;
        return $"'{shown}' ({Text(activity["type"])}, id {id})";
    }

    private static JsonObject? Find(JsonObject? activity, string? id)
    {
        if (activity is null || id is null)
            return null;
        if (Text(activity["id"]) == id)
            return activity;
        return (activity["activities"] as JsonArray)?.OfType<JsonObject>().Select(child => Find(child, id)).FirstOrDefault(found => found is not null);
    }

    private static string? End(JsonObject connection, string end) => connection[end] switch
    {
        JsonObject o => Text(o["activity"]),
        JsonValue v => v.ToString(),
        _ => null,
    };

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    [GeneratedRegex(@"\(id ([^)]+)\)")]
    private static partial Regex ActivityId();

    [GeneratedRegex(@"connections\[(\d+)\]")]
    private static partial Regex ConnectionIndex();
}
