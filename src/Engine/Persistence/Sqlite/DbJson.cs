using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>JSON columns: compact text in, nodes out.</summary>
internal static class DbJson
{
    public static string? Write(JsonNode? node) => node?.ToJsonString();

    public static JsonNode? Read(string? text) => text is null ? null : JsonNode.Parse(text);

    public static JsonObject ReadObject(string? text) => text is null ? [] : JsonNode.Parse(text) as JsonObject ?? throw new JsonException($"Expected a JSON object, found: {text}");

    public static JsonObject? ReadObjectOrNull(string? text) => text is null ? null : ReadObject(text);
}
