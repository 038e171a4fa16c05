using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs its <c>body</c> once per item, one after another (Elsa's <c>Elsa.ForEach</c>); <c>Elsa.Break</c> ends the loop.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Iterate over a set of values.", DisplayName = "For Each")]
public sealed class ForEach : Activity
{
    [Input(Description = "The set of values to iterate (a list, or JSON array text).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Items { get; set; }

    [Output(Description = "The current value being iterated.")]
    public Output<object>? CurrentValue { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var body = Composition.Child(context, "body");
        foreach (var item in Composition.Items(context.Get(Items)))
        {
            var result = await Composition.RunBodyAsync<object>(context, body, CurrentValue, item!);
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
