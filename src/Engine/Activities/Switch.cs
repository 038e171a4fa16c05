using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs the activity of the first (or every) case whose condition holds, else <c>default</c> (Elsa's <c>Elsa.Switch</c>).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Evaluate a set of case conditions and schedule the activity for a matching case.", DisplayName = "Switch")]
public sealed class Switch : Activity
{
    [Input(Description = "MatchFirst: run the first matching case. MatchAny: run every matching case.", DefaultValue = SwitchMode.MatchFirst)]
    public Input<SwitchMode>? Mode { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var matches = SwitchCases.Matching(context, SwitchCases.Read(Node), context.Get(Mode));
        var activities = matches.Count > 0
            ? matches.Select(m => m.Activity).OfType<System.Text.Json.Nodes.JsonObject>().ToList()
            : Composition.Child(context, "default") is { } fallback ? [fallback] : [];
        foreach (var activity in activities)
        {
            if (Composition.Stops(context, await context.RunChildAsync(activity), isLoop: false))
                return;
        }
        await context.CompleteAsync(Outcomes.Done);
    }
}
