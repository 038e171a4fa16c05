using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>A flowchart node that runs the activity in its <c>body</c> (Elsa's <c>Elsa.FlowNode</c>); completes with <c>Done</c>.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.FlowCategory, "A simple container that executes the specified activity.", DisplayName = "Flow Node")]
public sealed class FlowNode : Activity
{
    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        if (Composition.Child(context, "body") is { } body && Composition.Stops(context, await context.RunChildAsync(body), isLoop: false))
            return;
        await context.CompleteAsync(Outcomes.Done);
    }
}
