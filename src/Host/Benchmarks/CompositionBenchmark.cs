using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// The step cost of composition: a ParallelForEach of <see cref="Items"/> items whose body is one SetVariable (children
/// run inside the container's durable execution: no commit per child), all at once and two at a time
/// (MaxDegreeOfParallelism 2, as an evacuation runs its migrations), and a chain of workflow-activity calls, each
/// running a child definition of one SetVariable in its own frame (one committed step per call plus the child's step).
/// </summary>
internal sealed class CompositionBenchmark(TextWriter output)
{
    private const int Items = 1_000;
    private const int Calls = 200;

    public async Task<(double ParallelForEachMsPerItem, double WorkflowCallMs)> RunAsync(IServiceProvider services, int runs, CancellationToken cancellationToken)
    {
        var runtime = services.GetRequiredService<IWorkflowRuntime>();
        var loader = services.GetRequiredService<IWorkflowDefinitionLoader>();
        services.GetRequiredService<WorkflowActivityResolver>().Register(loader.Load(Child()));

        var forEach = loader.Load(ParallelForEach(limit: 0));
        var twoAtATime = loader.Load(ParallelForEach(limit: 2));
        var calls = loader.Load(CallChain());
        await RunAsync(runtime, forEach, cancellationToken); // warm-up
        await RunAsync(runtime, twoAtATime, cancellationToken);
        await RunAsync(runtime, calls, cancellationToken);
        var perItem = new List<double>();
        var perBoundedItem = new List<double>();
        var perCall = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            perItem.Add(await RunAsync(runtime, forEach, cancellationToken) / Items);
            perBoundedItem.Add(await RunAsync(runtime, twoAtATime, cancellationToken) / Items);
            perCall.Add(await RunAsync(runtime, calls, cancellationToken) / Calls);
        }
        var (item, call) = (Median(perItem), Median(perCall));
        output.WriteLine($"  ParallelForEach of {Items} items (body: one SetVariable) x {runs} runs: median {item:0.000} ms per item step (whole instance / items); " +
                         $"two at a time (MaxDegreeOfParallelism 2): {Median(perBoundedItem):0.000} ms");
        output.WriteLine($"  workflow activity: {Calls} calls of a one-activity child x {runs} runs: median {call:0.000} ms per call (committed step + child frame + child step)");
        return (item, call);
    }

    private static async Task<double> RunAsync(IWorkflowRuntime runtime, Engine.Definitions.WorkflowDefinition definition, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (id, status) = await runtime.RunToEndAsync(definition, null, cancellationToken);
        if (status != WorkflowStatus.Finished)
            throw new InvalidOperationException($"The benchmark workflow '{definition.DefinitionId}' ended {status}; see `show {id}`.");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string ParallelForEach(int limit) => Document($"bench-parallel-for-each-{limit}", new JsonObject
    {
        ["id"] = "each",
        ["type"] = "Elsa.ParallelForEach",
        ["version"] = 1,
        ["items"] = Literal("Object", $"[{string.Join(',', Enumerable.Range(1, Items))}]"),
        ["maxDegreeOfParallelism"] = Literal("Int32", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ["currentValue"] = new JsonObject { ["typeName"] = "Object", ["memoryReference"] = new JsonObject { ["id"] = "item" } },
        ["body"] = SetCounter("body"),
    });

    private static string CallChain()
    {
        var activities = new JsonArray();
        var connections = new JsonArray();
        for (var i = 0; i < Calls; i++)
        {
            activities.Add(new JsonObject { ["id"] = $"call{i}", ["type"] = "BenchChild", ["version"] = 1 });
            if (i > 0)
                connections.Add(new JsonObject
                {
                    ["source"] = new JsonObject { ["activity"] = $"call{i - 1}", ["port"] = "Done" },
                    ["target"] = new JsonObject { ["activity"] = $"call{i}", ["port"] = "In" },
                });
        }
        return Document("bench-workflow-calls", new JsonObject { ["id"] = "flow", ["type"] = "Elsa.Flowchart", ["activities"] = activities, ["connections"] = connections });
    }

    private static string Child() => Document("bench-child", new JsonObject
    {
        ["id"] = "flow",
        ["type"] = "Elsa.Flowchart",
        ["activities"] = new JsonArray { SetCounter("set") },
        ["connections"] = new JsonArray(),
    }, name: "BenchChild");

    private static JsonObject SetCounter(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Elsa.SetVariable",
        ["version"] = 1,
        ["variable"] = new JsonObject { ["id"] = "counter", ["name"] = "Counter", ["typeName"] = "Int32", ["isArray"] = false },
        ["value"] = Literal("Object", "1"),
    };

    private static JsonObject Literal(string typeName, string value) =>
        new() { ["typeName"] = typeName, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };

    private static string Document(string id, JsonObject root, string? name = null) => new JsonObject
    {
        ["definitionId"] = id,
        ["name"] = name ?? id,
        ["version"] = 1,
        ["variables"] = new JsonArray
        {
            new JsonObject { ["id"] = "counter", ["name"] = "Counter", ["typeName"] = "Int32", ["isArray"] = false, ["value"] = 0 },
            new JsonObject { ["id"] = "item", ["name"] = "Item", ["typeName"] = "Object", ["isArray"] = false },
        },
        ["root"] = root,
    }.ToJsonString();
}
