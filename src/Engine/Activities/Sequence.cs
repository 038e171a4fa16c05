using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs its <c>activities</c> one after another (Elsa's <c>Elsa.Sequence</c>); a Break or Complete inside stops it and goes up.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.WorkflowsCategory, "Execute a set of activities in sequence.", DisplayName = "Sequence")]
public sealed class Sequence : Activity
{
    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        foreach (var child in Composition.Children(context, "activities"))
        {
            if (Composition.Stops(context, await context.RunChildAsync(child), isLoop: false))
                return;
        }
        await context.CompleteAsync(Outcomes.Done);
    }
}
