using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Ends the workflow (Elsa's <c>Elsa.Finish</c>): it has no outcome ports and completes without outcomes; the runtime
/// recognises it by <c>ActivityDescriptor.IsTerminal</c> and finishes the instance even if other branches still run.
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.FlowCategory, "Marks the end of the workflow.", DisplayName = "Finish")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Finish : Activity, ITerminalNode
{
    public override ValueTask ExecuteAsync(ActivityExecutionContext context) => context.CompleteAsync();
}
