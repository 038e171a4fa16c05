using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Sets a workflow output (Elsa's <c>Elsa.SetOutput</c>): the instance's output, or the node's output when the workflow runs as an activity.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Assigns a value to a workflow output.", DisplayName = "Set Output")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class SetOutput : CodeActivity
{
    [Input(Description = "The name of the workflow output to set.", Required = true)]
    public Input<string>? OutputName { get; set; }

    [Input(Description = "The value to assign.")]
    public Input<object>? OutputValue { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var name = context.Get(OutputName);
        if (string.IsNullOrWhiteSpace(name))
            throw new InvalidOperationException($"SetOutput '{context.Activity.Id}': the output name is empty; name one of the workflow's outputs.");
        context.SetWorkflowOutput(name, Composition.ToNode(context.Get(OutputValue)));
        return ValueTask.CompletedTask;
    }
}
