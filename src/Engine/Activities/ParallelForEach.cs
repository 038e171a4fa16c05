using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Runs its <c>body</c> once per item, all iterations at once (Elsa's <c>Elsa.ParallelForEach</c>). Each iteration
/// sees its own item in the variable bound to <see cref="CurrentValue"/>; other variables are shared.
/// <c>Elsa.Break</c> in an iteration ends the loop after the iterations already running.
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Iterate over a set of values in parallel.", DisplayName = "Parallel For Each")]
public sealed class ParallelForEach : Activity
{
    [Input(Description = "The set of values to iterate (a list, or JSON array text).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Items { get; set; }

    [Output(Description = "The current value being iterated (per iteration).")]
    public Output<object>? CurrentValue { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var body = Composition.Child(context, "body");
        var results = await Task.WhenAll(Composition.Items(context.Get(Items))
            .Select(item => Composition.RunBodyAsync<object>(context, body, CurrentValue, item!).AsTask()));
        if (results.FirstOrDefault(r => r.Signal == ChildSignal.Complete) is { } completed && Composition.Stops(context, completed, isLoop: true))
            return;
        await context.CompleteAsync(Outcomes.Done);
    }
}
