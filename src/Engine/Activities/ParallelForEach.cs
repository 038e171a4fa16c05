using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Runs its <c>body</c> once per item, all iterations at once (Elsa's <c>Elsa.ParallelForEach</c>), or at most
/// <see cref="MaxDegreeOfParallelism"/> at a time, started in item order (an input Elsa's activity lacks; named after
/// .NET's <c>ParallelOptions.MaxDegreeOfParallelism</c>, and ignored by an Elsa that does not know it). Each iteration
/// sees its own item in the variable bound to <see cref="CurrentValue"/>; other variables are shared.
/// <c>Elsa.Break</c> in an iteration ends the loop after the iterations already running; so does a fault (no new
/// iteration starts, the running ones finish, then the fault is raised).
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.LoopingCategory, "Iterate over a set of values in parallel.", DisplayName = "Parallel For Each")]
public sealed class ParallelForEach : Activity
{
    [Input(Description = "The set of values to iterate (a list, or JSON array text).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Items { get; set; }

    [Input(DisplayName = "Max Degree Of Parallelism",
        Description = "At most this many iterations run at once, started in item order as others end; 0 (the default): all at once.", DefaultValue = 0)]
    public Input<int>? MaxDegreeOfParallelism { get; set; }

    [Output(Description = "The current value being iterated (per iteration).")]
    public Output<object>? CurrentValue { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var body = Composition.Child(context, "body");
        var items = Composition.Items(context.Get(Items));
        var limit = context.Get(MaxDegreeOfParallelism);
        if (limit < 0)
            throw new ArgumentException($"ParallelForEach '{context.Activity.Id}': MaxDegreeOfParallelism is {limit}; give 0 (no limit) or a positive number.");
        var results = limit == 0 || limit >= items.Count
            ? await Task.WhenAll(items.Select(item => Composition.RunBodyAsync<object>(context, body, CurrentValue, item!).AsTask()))
            : await RunBoundedAsync(context, body, items, limit);
        if (results.FirstOrDefault(r => r.Signal == ChildSignal.Complete) is { } completed && Composition.Stops(context, completed, isLoop: true))
            return;
        await context.CompleteAsync(Outcomes.Done);
    }

    // Starts the next iteration when a running one ends; stops starting new ones after a Break, Complete or fault.
    private async Task<ChildResult[]> RunBoundedAsync(ActivityExecutionContext context, JsonObject? body, IReadOnlyList<JsonNode?> items, int limit)
    {
        using var slots = new SemaphoreSlim(limit);
        var running = new List<Task<ChildResult>>();
        var stop = 0;
        foreach (var item in items)
        {
            // No token: every started iteration releases its slot, also when cancelled (it sees the token itself).
            await slots.WaitAsync();
            if (Volatile.Read(ref stop) == 1)
            {
                slots.Release();
                break;
            }
            running.Add(RunAsync(item));
        }
        return await Task.WhenAll(running);

        async Task<ChildResult> RunAsync(JsonNode? item)
        {
            try
            {
                var result = await Composition.RunBodyAsync<object>(context, body, CurrentValue, item!);
                if (result.Signal != ChildSignal.None)
                    Volatile.Write(ref stop, 1);
                return result;
            }
            catch
            {
                Volatile.Write(ref stop, 1);
                throw;
            }
            finally
            {
                slots.Release();
            }
        }
    }
}
