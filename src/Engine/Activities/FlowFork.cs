using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Splits the flow into concurrent branches (Elsa's <c>Elsa.FlowFork</c>): completes with every name in
/// <see cref="Branches"/> as an outcome. Its ports are dynamic: validation accepts a source port that is one of the
/// branch names when <c>branches</c> is a literal, and any port when it is computed at run time.
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Branch execution into multiple branches that will be executed in parallel.", DisplayName = "Fork (flow)")]
[FlowNode]
[DynamicOutcomes("branches")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FlowFork : Activity
{
    /// <summary>The outcome names, one per branch.</summary>
    [Input(Description = "A list of expected outcomes to handle.", UIHint = InputUIHints.DynamicOutcomes)]
    public Input<List<string>>? Branches { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context) =>
        context.CompleteAsync([.. context.Get(Branches) ?? []]);
}
