using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Converts a variable's or workflow input's value to its declared Elsa type (<c>typeName</c>: Int32, Int64, Double,
/// Decimal, Boolean, String, Object, JsonElement, ExpandoObject, arrays as <c>X[]</c> or <c>isArray</c>), as Elsa does
/// when it loads a definition: an <c>Int32</c> variable with <c>"value": "0"</c> holds the number 0, so
/// <c>getCount() + 1</c> is 1, not "01". Unknown type names keep the value as it is.
/// </summary>
public static class VariableTypes
{
    private static readonly Dictionary<string, Type> Scalars = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Int16"] = typeof(short),
        ["Int32"] = typeof(int),
        ["Int64"] = typeof(long),
        ["Double"] = typeof(double),
        ["Single"] = typeof(double),
        ["Decimal"] = typeof(decimal),
        ["Boolean"] = typeof(bool),
        ["String"] = typeof(string),
        ["TimeSpan"] = typeof(TimeSpan),
        ["DateTime"] = typeof(DateTime),
        ["DateTimeOffset"] = typeof(DateTimeOffset),
        ["Guid"] = typeof(Guid),
    };

    // Structured types: a JSON text value is parsed into the structure it describes.
    private static readonly HashSet<string> Structured = new(StringComparer.OrdinalIgnoreCase) { "JsonElement", "ExpandoObject", "JsonObject", "JsonNode", "Dictionary" };

    /// <summary>The type name of a declared variable, <c>[]</c> appended for <c>isArray</c>.</summary>
    public static string TypeNameOf(VariableDefinition variable) =>
        variable.IsArray && !variable.TypeName.EndsWith("[]", StringComparison.Ordinal) ? variable.TypeName + "[]" : variable.TypeName;

    /// <summary>
    /// <paramref name="value"/> converted to <paramref name="typeName"/>; throws <see cref="FormatException"/> naming
    /// <paramref name="what"/> (e.g. <c>variable 'Count'</c>) when it does not convert. Null and "" (unset) stay null,
    /// except for String.
    /// </summary>
    public static JsonNode? Convert(JsonNode? value, string typeName, string what)
    {
        if (value is null)
            return null;
        var name = typeName.StartsWith("System.", StringComparison.Ordinal) ? typeName["System.".Length..] : typeName;
        try
        {
            if (name.EndsWith("[]", StringComparison.Ordinal))
                return ConvertArray(value, name[..^2], what);
            if (Structured.Contains(name))
                return value is JsonValue v && v.GetValueKind() == JsonValueKind.String && LooksLikeJson(v.GetValue<string>())
                    ? JsonNode.Parse(v.GetValue<string>())
                    : value.DeepClone();
            if (!Scalars.TryGetValue(name, out var type))
                return value.DeepClone();
            var converted = ValueConverter.Convert(value, type);
            return converted is null ? null : JsonSerializer.SerializeToNode(converted, type);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new FormatException($"The {what} is declared {typeName} but its value {Shorten(value.ToJsonString())} does not convert: " +
                $"{e.Message} Give it a {typeName} value or change its type.", e);
        }
    }

    private static JsonNode ConvertArray(JsonNode value, string elementType, string what)
    {
        var array = value switch
        {
            JsonArray a => a,
            JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().TrimStart().StartsWith('[') =>
                JsonNode.Parse(v.GetValue<string>()) as JsonArray ?? [],
            JsonValue v when v.GetValueKind() == JsonValueKind.String =>
                new JsonArray([.. v.GetValue<string>().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode)t)]),
            _ => new JsonArray(value.DeepClone()),
        };
        return new JsonArray([.. array.Select((item, i) => Convert(item, elementType, $"{what}[{i}]"))]);
    }

    private static bool LooksLikeJson(string text) => text.TrimStart() is ['{' or '[', ..];

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
