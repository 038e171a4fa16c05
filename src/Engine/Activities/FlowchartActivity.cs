using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// A flowchart nested in a container, or the root of a workflow used as an activity (Elsa's <c>Elsa.Flowchart</c>).
/// The root flowchart of an instance is run by the runtime itself (durably, branches concurrently); a nested one runs
/// inside its container's execution, one activity at a time like Elsa (see <see cref="NestedFlowchart"/>).
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.FlowCategory, "A flowchart: activities connected by their outcomes.", DisplayName = "Flowchart", TypeName = "Flowchart")]
public sealed class FlowchartActivity : Activity
{
    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var result = await NestedFlowchart.RunAsync(context);
        if (result.Signal == ChildSignal.Break)
        {
            context.Signal(ChildSignal.Break);
            return;
        }
        await context.CompleteAsync([.. result.Outcomes]);
    }
}
