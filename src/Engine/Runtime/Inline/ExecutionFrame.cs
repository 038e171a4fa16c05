using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;

namespace Elsa.Migration.Engine.Runtime.Inline;

/// <summary>
/// What activities of one workflow see: its variables, inputs and outputs. The instance's root frame holds the
/// persisted variables; a workflow used as an activity runs in a frame of its own (its own variables, its inputs
/// from the node, outputs collected for the parent); a loop iteration adds a child frame whose locals (the current
/// value) shadow the variables of its parent frame.
/// </summary>
internal sealed class ExecutionFrame
{
    private ExecutionFrame(IDictionary<string, JsonNode?> variables, IReadOnlyDictionary<string, string> variableNamesById,
        IReadOnlyDictionary<string, string> variableTypes, IReadOnlyDictionary<string, JsonNode?> inputs, JsonObject outputs,
        ExpressionContext instance, ExecutionFrame? parent, IReadOnlySet<string> outputNames)
    {
        OutputNames = outputNames;
        Variables = variables;
        VariableNamesById = variableNamesById;
        VariableTypes = variableTypes;
        Inputs = inputs;
        Outputs = outputs;
        Instance = instance;
        Parent = parent;
        Scope = new ExpressionScope(variables, variableNamesById, inputs, instance);
    }

    /// <summary>Variables by name (for a loop iteration: its locals over the parent frame's variables).</summary>
    public IDictionary<string, JsonNode?> Variables { get; }
    public IReadOnlyDictionary<string, string> VariableNamesById { get; }
    /// <summary>Declared type name per variable name (Elsa's <c>typeName</c>, with <c>[]</c> for arrays).</summary>
    public IReadOnlyDictionary<string, string> VariableTypes { get; }
    public IReadOnlyDictionary<string, JsonNode?> Inputs { get; }
    /// <summary>The workflow outputs written by SetOutput in this frame.</summary>
    public JsonObject Outputs { get; }
    public ExpressionContext Instance { get; }
    /// <summary>The declared workflow outputs (an activity output bound to one of these names writes the workflow output).</summary>
    public IReadOnlySet<string> OutputNames { get; }
    public ExecutionFrame? Parent { get; }
    public ExpressionScope Scope { get; }

    /// <summary>A workflow's frame: its declared variables (already typed) and inputs.</summary>
    public static ExecutionFrame ForWorkflow(WorkflowDefinition definition, IDictionary<string, JsonNode?> variables,
        IReadOnlyDictionary<string, JsonNode?> inputs, JsonObject outputs, ExpressionContext instance) =>
        new(variables,
            definition.Variables.GroupBy(v => v.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal),
            definition.Variables.GroupBy(v => v.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Definitions.VariableTypes.TypeNameOf(g.First()), StringComparer.Ordinal),
            inputs, outputs, instance, null, definition.Outputs.ToHashSet(StringComparer.Ordinal));

    /// <summary>A frame whose <paramref name="locals"/> shadow this frame's variables (a loop iteration).</summary>
    public ExecutionFrame WithLocals(IReadOnlyDictionary<string, JsonNode?> locals) =>
        new(new LayeredVariables(new Dictionary<string, JsonNode?>(locals, StringComparer.Ordinal), Variables), VariableNamesById, VariableTypes,
            Inputs, Outputs, Instance, this, OutputNames);

    /// <summary>The variable name of an id or name; null when the workflow has no such variable.</summary>
    public string? ResolveVariableName(string idOrName) =>
        VariableNamesById.TryGetValue(idOrName, out var name) ? name : Variables.ContainsKey(idOrName) ? idOrName : null;
}
