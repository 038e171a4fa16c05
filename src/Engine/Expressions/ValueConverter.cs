using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Xml;
using Elsa.Migration.Engine.Definitions;

namespace Elsa.Migration.Engine.Expressions;

/// <summary>
/// Converts a JSON value to an input's CLR type the way Studio writes literals: every literal is usually a string
/// (<c>"30"</c> → 30, <c>"00:05:00"</c> → a TimeSpan, <c>"true"</c> → true, enums by name), objects via System.Text.Json.
/// An empty string means "not set" for every type but <see cref="string"/>.
/// </summary>
public static class ValueConverter
{
    /// <summary>The options used for objects: camelCase, case-insensitive, enums as strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Converts <paramref name="node"/> to <paramref name="target"/>; throws <see cref="FormatException"/> saying what did not fit.</summary>
    public static object? Convert(JsonNode? node, Type target)
    {
        if (node is null)
            return null;
        var type = Nullable.GetUnderlyingType(target) ?? target;
        if (typeof(JsonNode).IsAssignableFrom(type))
            return type.IsInstanceOfType(node) ? node.DeepClone() : throw Mismatch(node, target);
        if (type == typeof(object))
            return ToPlain(node);
        if (type == typeof(string))
            return node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString();

        var text = node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        if (text is not null && string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            return text is null ? FromJson(node, type) : FromText(text, type);
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or ArgumentException or NotSupportedException)
        {
            throw Mismatch(node, target, e);
        }
    }

    private static object? FromText(string text, Type type)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (type.IsEnum)
        {
            if (Enum.GetNames(type).FirstOrDefault(n => n.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } name)
                return Enum.Parse(type, name);
            throw new FormatException($"'{text}' is not one of {string.Join(", ", Enum.GetNames(type))}.");
        }
        if (type == typeof(bool))
            return bool.Parse(text.Trim());
        if (type == typeof(TimeSpan))
            return text.TrimStart().StartsWith('P') || text.TrimStart().StartsWith("-P", StringComparison.Ordinal)
                ? XmlConvert.ToTimeSpan(text.Trim()) // ISO 8601 durations (PT5M), also what some Elsa tools write
                : TimeSpan.Parse(text, invariant);
        if (type == typeof(int)) return int.Parse(text, NumberStyles.Integer, invariant);
        if (type == typeof(long)) return long.Parse(text, NumberStyles.Integer, invariant);
        if (type == typeof(double)) return double.Parse(text, NumberStyles.Float, invariant);
        if (type == typeof(decimal)) return decimal.Parse(text, NumberStyles.Number, invariant);
        if (type == typeof(Guid)) return Guid.Parse(text);
        if (type == typeof(DateTimeOffset)) return DateTimeOffset.Parse(text, invariant, DateTimeStyles.AssumeUniversal);
        if (type == typeof(DateTime)) return DateTime.Parse(text, invariant, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
            return JsonSerializer.Deserialize(text, type, JsonOptions);
        // A comma-separated list for a list of strings (e.g. FlowFork branches typed into a single line).
        if (ValueTypeNames.ElementTypeOf(type) == typeof(string))
            return JsonSerializer.Deserialize(JsonSerializer.Serialize(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)), type, JsonOptions);
        return JsonSerializer.Deserialize(JsonSerializer.Serialize(text), type, JsonOptions);
    }

    private static object? FromJson(JsonNode node, Type type)
    {
        if (type.IsEnum && node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            var number = value.Deserialize<long>();
            return Enum.IsDefined(type, Enum.ToObject(type, number)) ? Enum.ToObject(type, number) : throw new FormatException($"{number} is not a value of {type.Name}.");
        }
        return node.Deserialize(type, JsonOptions);
    }

    /// <summary>A JSON value as a plain CLR value: string, long or double, bool; objects and arrays stay <see cref="JsonNode"/>.</summary>
    public static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // Through the JSON text: the value may wrap any CLR number type (int, decimal, ...), not just a JsonElement.
            JsonValueKind.Number => long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                ? (object)l
                : double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => node.DeepClone(),
    };

    private static FormatException Mismatch(JsonNode node, Type target, Exception? inner = null)
    {
        var type = Nullable.GetUnderlyingType(target) ?? target;
        var hint = type.IsEnum ? $" Use one of: {string.Join(", ", Enum.GetNames(type))}."
            : type == typeof(TimeSpan) ? " Use [d.]hh:mm:ss (e.g. 00:05:00) or ISO 8601 (PT5M)."
            : type == typeof(bool) ? " Use true or false."
            : "";
        return new FormatException($"The value {Shorten(node.ToJsonString())} is not a valid {ValueTypeNames.Of(target)}.{hint}", inner);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
