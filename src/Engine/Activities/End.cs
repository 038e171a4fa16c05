using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Ends the flowchart it is in (Elsa's <c>Elsa.End</c>, a terminal node): at the root the instance finishes and
/// other branches are cancelled; inside a container only that flowchart completes.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.FlowCategory, "Mark the end of a flowchart: completing it completes the flowchart.", DisplayName = "End")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class End : CodeActivity, ITerminalNode
{
    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}
