using System.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>
/// JSON columns (<see cref="JsonObject"/> and <see cref="JsonNode"/> members and parameters): compact text in, nodes out.
/// SQL NULL is null (Dapper hands a single-column query's NULL to the handler as <see cref="DBNull"/>).
/// </summary>
internal static class DbJson
{
    private static void Write(IDbDataParameter parameter, JsonNode? node)
    {
        parameter.DbType = DbType.String;
        parameter.Value = node is null ? DBNull.Value : node.ToJsonString();
    }

    /// <summary>A column holding any JSON value.</summary>
    public sealed class NodeHandler : SqlMapper.TypeHandler<JsonNode>
    {
        public override void SetValue(IDbDataParameter parameter, JsonNode? value) => Write(parameter, value);

        public override JsonNode? Parse(object value) => value is DBNull ? null : JsonNode.Parse((string)value);
    }

    /// <summary>A column holding a JSON object.</summary>
    public sealed class ObjectHandler : SqlMapper.TypeHandler<JsonObject>
    {
        public override void SetValue(IDbDataParameter parameter, JsonObject? value) => Write(parameter, value);

        public override JsonObject? Parse(object value) =>
            value is DBNull ? null : JsonNode.Parse((string)value) as JsonObject ?? throw new JsonException($"Expected a JSON object, found: {value}");
    }
}
