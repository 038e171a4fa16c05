using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Runtime.Inline;

/// <summary>
/// A workflow definition used as an activity (Elsa's <c>WorkflowDefinitionActivity</c>): the child's inputs are the
/// node's inputs (evaluated in the parent), it runs with its own variables, its outputs (SetOutput) become the node's
/// outputs (bound to parent variables by <c>memoryReference</c>), and it completes with the outcomes its
/// <c>Elsa.Complete</c> gave, or <c>Done</c>.
/// </summary>
internal sealed class WorkflowDefinitionActivity(WorkflowDefinition definition) : Activity
{
    /// <summary>The version resolved when the graph was built (its ports); execution uses the currently prepared one.</summary>
    public WorkflowDefinition Definition => definition;

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var runtime = (RuntimeActivityContext)context;
        // The version prepared for this start (a child published since the graph was cached is picked up).
        var definition = (Node is null ? null : runtime.WorkflowActivities.Find(Node)) ?? Definition;
        var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var input in definition.Inputs)
        {
            var expression = Node?.Inputs.FirstOrDefault(i => i.Key.Equals(input.Name, StringComparison.OrdinalIgnoreCase)).Value;
            var value = expression is null ? null : context.Get(new Input<object>(expression));
            var node = value switch
            {
                null => input.DefaultValue?.DeepClone(),
                JsonNode json => json,
                _ => System.Text.Json.JsonSerializer.SerializeToNode(value, value.GetType()),
            };
            inputs[input.Name] = VariableTypes.Convert(node, input.TypeName, $"input '{input.Name}' of workflow '{definition.Name}'");
        }
        var (outcomes, outputs) = await runtime.RunWorkflowAsync(definition, inputs);
        foreach (var (name, value) in outputs)
        {
            var bound = Node?.Outputs.FirstOrDefault(o => o.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
            if (bound is not null)
                runtime.Assign(bound, value);
        }
        await context.CompleteAsync(outcomes.Count == 0 ? [Outcomes.Done] : [.. outcomes]);
    }

    /// <summary>The descriptor of a workflow activity: ports Done plus the child's declared outcomes; never re-run by recovery.</summary>
    public static ActivityDescriptor Describe(WorkflowDefinition definition, string typeName) =>
        new(typeName, "", typeName, definition.Version, "Workflows", definition.Name, definition.Description, typeof(WorkflowDefinitionActivity),
            [Outcomes.Done, .. definition.Outcomes.Where(o => o != Outcomes.Done)], [], [], RecoveryPolicy.Compensate, false, false);
}
