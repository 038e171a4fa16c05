using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs its <c>body</c> for each number from Start to End by Step (Elsa's <c>Elsa.For</c>); <c>Elsa.Break</c> ends the loop.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Iterate over a sequence of steps between a start and an end number.", DisplayName = "For")]
public sealed class For : Activity
{
    [Input(Description = "The start of the iteration.", DefaultValue = 0)]
    public Input<int>? Start { get; set; }

    [Input(Description = "The end of the iteration.", DefaultValue = 0)]
    public Input<int>? End { get; set; }

    [Input(Description = "The step size (negative to count down).", DefaultValue = 1)]
    public Input<int>? Step { get; set; }

    [Input(Description = "True: End is included in the iteration.", DefaultValue = true)]
    public Input<bool>? OuterBoundInclusive { get; set; }

    [Output(Description = "The current number.")]
    public Output<int>? CurrentValue { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var (start, end, step, inclusive) = (context.Get(Start), context.Get(End), context.Get(Step), context.Get(OuterBoundInclusive));
        if (step == 0)
            throw new InvalidOperationException($"For '{context.Activity.Id}': Step is 0, so the loop would never end; use a positive or negative step.");
        var body = Composition.Child(context, "body");
        for (var i = start; step > 0 ? (inclusive ? i <= end : i < end) : (inclusive ? i >= end : i > end); i += step)
        {
            var result = await Composition.RunBodyAsync(context, body, CurrentValue, i);
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
