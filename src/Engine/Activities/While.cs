using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs its <c>body</c> while a condition holds (Elsa's <c>Elsa.While</c>); <c>Elsa.Break</c> ends the loop. The
/// instance's activity-execution limit stops a loop whose condition never turns false.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Execute an activity while a given condition evaluates to true.", DisplayName = "While")]
public sealed class While : Activity
{
    [Input(Description = "The condition evaluated before each iteration.", Required = true)]
    public Input<bool>? Condition { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var body = Composition.Child(context, "body");
        while (context.Get(Condition))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var result = body is null ? new ChildResult([Outcomes.Done]) : await context.RunChildAsync(body);
            if (Composition.Stops(context, result, isLoop: true))
            {
                if (result.Signal == ChildSignal.Complete)
                    return;
                break;
            }
        }
        await context.CompleteAsync(Outcomes.Done);
    }
}
