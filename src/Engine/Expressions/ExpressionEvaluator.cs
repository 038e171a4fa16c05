using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Expressions;

/// <summary>
/// Evaluates Elsa 3 expressions: <c>Literal</c> (a JSON value or text converted to the input's type), <c>Object</c> and
/// <c>Json</c> (JSON text), <c>Variable</c> (a variable id or name), <c>Input</c> (a workflow input by name) and
/// <c>JavaScript</c> (sandboxed Jint). <c>CSharp</c>, <c>Liquid</c> and other types are not executed (validation rejects them).
/// </summary>
public sealed class ExpressionEvaluator(JavaScriptOptions javaScriptOptions) : IExpressionEvaluator
{
    private readonly JavaScriptEvaluator _javaScript = new(javaScriptOptions);

    /// <summary>An evaluator with the default JavaScript sandbox limits.</summary>
    public ExpressionEvaluator() : this(new JavaScriptOptions()) { }

    /// <inheritdoc />
    public IReadOnlyCollection<string> SupportedTypes { get; } =
    [
        Expression.Types.Literal, Expression.Types.Object, Expression.Types.Json,
        Expression.Types.Variable, Expression.Types.Input, Expression.Types.JavaScript,
    ];

    /// <inheritdoc />
    public object? Evaluate(Expression expression, Type targetType, ExpressionScope scope, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var value = expression.Type switch
        {
            Expression.Types.Literal => expression.Value,
            Expression.Types.Object or Expression.Types.Json => ParseJsonText(expression),
            Expression.Types.Variable => ReadVariable(expression, scope),
            Expression.Types.Input => scope.Inputs.GetValueOrDefault(Text(expression) ?? ""),
            Expression.Types.JavaScript => string.IsNullOrWhiteSpace(Text(expression))
                ? null
                : _javaScript.Evaluate(Text(expression)!, scope, cancellationToken),
            _ => throw new ExpressionException(
                $"Expression type '{expression.Type}' is not executed by this runtime; use one of {string.Join(", ", SupportedTypes)}.",
                expression.Type),
        };
        try
        {
            return ValueConverter.Convert(value, targetType);
        }
        catch (FormatException e)
        {
            throw new ExpressionException($"{expression.Type} expression: {e.Message}", expression.Type, inner: e);
        }
    }

    /// <summary>The variable an expression value names: a string (id or name) or Studio's object form <c>{id, name}</c>.</summary>
    public static string? VariableReference(JsonNode? value) => value switch
    {
        JsonObject o => (o["id"] ?? o["name"])?.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => null,
    };

    private static JsonNode? ReadVariable(Expression expression, ExpressionScope scope)
    {
        var reference = VariableReference(expression.Value);
        if (string.IsNullOrEmpty(reference))
            return null;
        var name = scope.VariableNamesById.GetValueOrDefault(reference) ?? reference;
        return scope.Variables.TryGetValue(name, out var value)
            ? value
            : throw new ExpressionException($"Variable expression: the workflow has no variable '{reference}'.", expression.Type);
    }

    private static JsonNode? ParseJsonText(Expression expression)
    {
        if (expression.Value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            return expression.Value; // already structured JSON
        var text = v.GetValue<string>();
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ExpressionException($"{expression.Type} expression is not valid JSON: {e.Message}", expression.Type, inner: e);
        }
    }

    private static string? Text(Expression expression) =>
        expression.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : expression.Value?.ToJsonString();
}
