using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Ends the nearest enclosing loop (Elsa's <c>Elsa.Break</c>); the containers in between stop too.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Break out of a loop.", DisplayName = "Break")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Break : Activity
{
    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        context.Signal(ChildSignal.Break);
        return ValueTask.CompletedTask;
    }
}
