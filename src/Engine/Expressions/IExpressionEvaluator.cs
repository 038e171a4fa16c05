using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Expressions;

/// <summary>Evaluates input expressions: Literal, Object, Json, Variable, Input and JavaScript (sandboxed Jint).</summary>
public interface IExpressionEvaluator
{
    /// <summary>The expression types this evaluator executes (validation rejects every other type by name).</summary>
    IReadOnlyCollection<string> SupportedTypes { get; }

    /// <summary>Evaluates <paramref name="expression"/> and converts the result to <paramref name="targetType"/>.</summary>
    object? Evaluate(Expression expression, Type targetType, ExpressionScope scope, CancellationToken cancellationToken);
}

/// <summary>What an expression can see: the instance's variables (by name, mutable: <c>setVariable</c>), the workflow
/// inputs and the instance itself (id, correlation id: Elsa's <c>getWorkflowInstanceId()</c>, <c>setCorrelationId()</c>).</summary>
public sealed class ExpressionScope(
    IDictionary<string, JsonNode?> variables,
    IReadOnlyDictionary<string, string> variableNamesById,
    IReadOnlyDictionary<string, JsonNode?> inputs,
    ExpressionContext? instance = null)
{
    public IDictionary<string, JsonNode?> Variables { get; } = variables;
    public IReadOnlyDictionary<string, string> VariableNamesById { get; } = variableNamesById;
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; } = inputs;
    public ExpressionContext Instance { get; } = instance ?? new ExpressionContext("");
}

/// <summary>The instance an expression runs in. The runtime commits a changed <see cref="CorrelationId"/>.</summary>
public sealed class ExpressionContext(string instanceId, string? correlationId = null)
{
    public string InstanceId { get; } = instanceId;
    public string? CorrelationId { get; set; } = correlationId;
}
