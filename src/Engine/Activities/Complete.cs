using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Completes the enclosing flowchart (the workflow at the root) as a whole with the given outcomes (Elsa's
/// <c>Elsa.Complete</c>): a workflow used as an activity takes these outcomes as the ports its node leaves by.
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.CompositionCategory, "Signals the current composite activity to complete itself as a whole.", DisplayName = "Complete")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Complete : Activity, ITerminalNode
{
    /// <summary>The outcomes to complete with.</summary>
    [Input(Description = "The outcomes to complete the composite activity (or workflow) with.", UIHint = InputUIHints.OutcomePicker, DefaultValue = new[] { Model.Outcomes.Done })]
    public Input<List<string>>? Outcomes { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var outcomes = context.Get(Outcomes) is { Count: > 0 } given ? given : [Model.Outcomes.Done];
        context.Signal(ChildSignal.Complete, outcomes);
        return ValueTask.CompletedTask;
    }
}
