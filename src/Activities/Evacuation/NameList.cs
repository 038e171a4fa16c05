using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>A list of names as an operator gives it: <c>101,102</c>, <c>101 102</c>, a JSON array (text or value), or one name.</summary>
public static class NameList
{
    private static readonly char[] Separators = [',', ' ', ';', '\t', '\n', '\r'];

    /// <summary>The names, in the order given, each once; empty for null or blank.</summary>
    public static IReadOnlyList<string> Parse(object? value)
    {
        IEnumerable<string> names = value switch
        {
            null => [],
            JsonArray array => array.Select(Text),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => FromText(v.GetValue<string>()),
            JsonNode node => [Text(node)],
            string text => FromText(text),
            IEnumerable<object?> items => items.Select(i => i is JsonNode n ? Text(n) : i?.ToString() ?? ""),
            _ => [value.ToString() ?? ""],
        };
        return [.. names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)];
    }

    private static IEnumerable<string> FromText(string text) =>
        text.TrimStart().StartsWith('[') && JsonNode.Parse(text) is JsonArray array
            ? array.Select(Text)
            : text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
