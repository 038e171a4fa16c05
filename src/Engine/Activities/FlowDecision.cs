using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Takes the <c>True</c> or the <c>False</c> port depending on a condition (Elsa's <c>Elsa.FlowDecision</c>).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Evaluate a Boolean condition to determine which path to execute next.", DisplayName = "Decision")]
[FlowNode(True, False)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FlowDecision : Activity
{
    public const string True = "True";
    public const string False = "False";

    /// <summary>The condition that selects the port.</summary>
    [Input(Description = "The condition to evaluate.", Required = true)]
    public Input<bool>? Condition { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context) =>
        context.CompleteAsync(context.Get(Condition) ? True : False);
}
