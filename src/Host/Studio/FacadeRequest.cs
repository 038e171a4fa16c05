using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Host.Api;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Typed reads of the loosely shaped JSON bodies Studio posts. A field of the wrong type (a number where a string
/// belongs, <c>"publish": "yes"</c>) throws <see cref="InvalidRequestException"/> (400 naming the field) where
/// <c>JsonNode.GetValue</c> would throw an InvalidOperationException (a 500), and before anything is written.
/// </summary>
internal static class FacadeRequest
{
    public static string? String(JsonNode? node, string field) =>
        node is null ? null
        : node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : throw Wrong(field, "a string", node);

    public static bool? Bool(JsonNode? node, string field) =>
        node is null ? null
        : node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>()
        : throw Wrong(field, "true or false", node);

    public static int? Int(JsonNode? node, string field) =>
        node is null ? null
        : node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) && i >= 0 ? i
        : throw Wrong(field, "a whole number of at least 0", node);

    /// <summary>An array of strings as a set; null when the field is absent.</summary>
    public static HashSet<string>? Strings(JsonNode? node, string field) =>
        node is null ? null
        : node is JsonArray array ? [.. array.Select((n, i) => String(n, $"{field}[{i}]")).OfType<string>()]
        : throw Wrong(field, "an array of strings", node);

    private static InvalidRequestException Wrong(string field, string expected, JsonNode node) =>
        new($"'{field}' must be {expected}, not {node.GetValueKind().ToString().ToLowerInvariant()}.");
}
