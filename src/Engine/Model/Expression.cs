using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Model;

/// <summary>An Elsa 3 expression as stored in JSON: <c>{"type": "Literal", "value": ...}</c>.</summary>
public sealed record Expression(string Type, JsonNode? Value)
{
    public static class Types
    {
        public const string Literal = "Literal";
        public const string Object = "Object";
        public const string Json = "Json";
        public const string Variable = "Variable";
        public const string Input = "Input";
        public const string JavaScript = "JavaScript";
    }

    public static Expression Literal(object? value) =>
        new(Types.Literal, value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType()));
}
