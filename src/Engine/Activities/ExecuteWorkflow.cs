using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs the published version of another workflow as a new instance and waits for it (Elsa's <c>Elsa.ExecuteWorkflow</c>);
/// Result is <c>{instanceId, status, output}</c>.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.CompositionCategory, "Executes a workflow.", DisplayName = "Execute Workflow")]
public sealed class ExecuteWorkflow : CodeActivity
{
    [Input(DisplayName = "Workflow Definition", Description = "The definition id of the workflow to execute.", Required = true)]
    public Input<string>? WorkflowDefinitionId { get; set; }

    [Input(DisplayName = "Correlation ID", Description = "The correlation id of the new instance.")]
    public Input<string>? CorrelationId { get; set; }

    [Input(Description = "The inputs of the new instance (a JSON object).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Input { get; set; }

    [Input(Description = "True: wait until the new instance has ended.", DefaultValue = true)]
    public Input<bool>? WaitForCompletion { get; set; }

    [Output(Description = "The new instance's id, status and outputs.")]
    public Output<object>? Result { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context) =>
        context.Set(Result, await ChildWorkflows.StartAsync(context, context.Get(WorkflowDefinitionId), context.Get(CorrelationId),
            context.Get(Input), context.Get(WaitForCompletion)));
}
