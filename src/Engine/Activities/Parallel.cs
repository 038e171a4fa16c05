using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs its <c>activities</c> concurrently and completes when all have (Elsa's <c>Elsa.Parallel</c>; Elsa interleaves them on one thread).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.WorkflowsCategory, "Execute a set of activities in parallel.", DisplayName = "Parallel")]
public sealed class Parallel : Activity
{
    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var results = await Task.WhenAll(Composition.Children(context, "activities").Select(c => context.RunChildAsync(c).AsTask()));
        if (results.FirstOrDefault(r => r.Signal != ChildSignal.None) is { } signalled && Composition.Stops(context, signalled, isLoop: false))
            return;
        await context.CompleteAsync(Outcomes.Done);
    }
}
