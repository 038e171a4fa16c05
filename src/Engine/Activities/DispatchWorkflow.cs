using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Starts the published version of another workflow as a new instance without waiting by default (Elsa's
/// <c>Elsa.DispatchWorkflow</c>); Result holds the new instance's id (and status and outputs when waiting).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.CompositionCategory, "Create a new workflow instance of the specified workflow and dispatch it for execution.", DisplayName = "Dispatch Workflow")]
public sealed class DispatchWorkflow : CodeActivity
{
    [Input(DisplayName = "Workflow Definition", Description = "The definition id of the workflow to dispatch.", Required = true)]
    public Input<string>? WorkflowDefinitionId { get; set; }

    [Input(DisplayName = "Correlation ID", Description = "The correlation id of the new instance.")]
    public Input<string>? CorrelationId { get; set; }

    [Input(Description = "The inputs of the new instance (a JSON object).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Input { get; set; }

    [Input(Description = "True: wait until the new instance has ended.", DefaultValue = false)]
    public Input<bool>? WaitForCompletion { get; set; }

    [Output(Description = "The new instance's id (and status and outputs when waiting).")]
    public Output<object>? Result { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context) =>
        context.Set(Result, await ChildWorkflows.StartAsync(context, context.Get(WorkflowDefinitionId), context.Get(CorrelationId),
            context.Get(Input), context.Get(WaitForCompletion)));
}
