using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Elsa.Migration.Host.Api;

/// <summary>
/// Reads <see cref="JsonNode"/>-typed request values (a Studio model, schedule and start inputs) and refuses an object
/// with two property names that differ only in case (<c>vmid</c> and <c>VmId</c>) with a <see cref="JsonException"/>,
/// i.e. a 400. The API's case-insensitive options make such a <see cref="JsonObject"/> throw an ArgumentException (a
/// 500) when first touched, which may be after something was written.
/// </summary>
public sealed class UniqueNamesJsonNodeConverter<TNode> : JsonConverter<TNode> where TNode : JsonNode
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = true };

    public override bool HandleNull => false;

    public override TNode? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        Check(document.RootElement, "$");
        return JsonNode.Parse(document.RootElement.GetRawText(), NodeOptions) switch
        {
            TNode node => node,
            var other => throw new JsonException($"Expected {typeof(TNode).Name}, not {other?.GetValueKind().ToString() ?? "null"}."),
        };
    }

    public override void Write(Utf8JsonWriter writer, TNode value, JsonSerializerOptions options) => value.WriteTo(writer, options);

    private static void Check(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in element.EnumerateArray())
                Check(item, $"{path}[{i++}]");
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
            return;
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            if (seen.TryGetValue(property.Name, out var first))
                throw new JsonException($"{path} has both '{first}' and '{property.Name}': give each property once (names are not case-sensitive).");
            seen[property.Name] = property.Name;
            Check(property.Value, $"{path}.{property.Name}");
        }
    }
}
