using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Elsa.Migration.Host.Api;

/// <summary>The API's JSON conventions: camelCase, enums as names.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the conventions to <paramref name="options"/> (also used for the HTTP JSON options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new UniqueNamesJsonNodeConverter<JsonNode>());
        options.Converters.Add(new UniqueNamesJsonNodeConverter<JsonObject>());
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        // {"VmId": "1", "VmId": "2"}: which one did the caller mean? Refused (400) instead of the last one winning.
        options.AllowDuplicateProperties = false;
        return options;
    }
}
