using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Cli;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// Measures the runtime on a fresh SQLite file (or the database <c>--db</c> names, e.g. PostgreSQL, whose instances
/// stay): the cost of one activity step (execute + transition + one committed transaction) over a chain of trivial
/// activities, a lease renewal, and the managed memory an instance costs while it is suspended.
/// </summary>
internal sealed class RuntimeBenchmark(int steps, int runs, int suspended, string? database, TextWriter output)
{
    public async Task<RuntimeBenchmarkResult> RunAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), "elsa-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using var services = CliServices.Build(database ?? Path.Combine(directory, "bench.db"));
            var runtime = services.GetRequiredService<IWorkflowRuntime>();
            var loader = services.GetRequiredService<IWorkflowDefinitionLoader>();
            var journal = services.GetRequiredService<IJournalStore>();
            var store = services.GetRequiredService<StoreDatabase>();
            output.WriteLine(store.Engine == DatabaseEngine.Sqlite
                ? $"Runtime benchmark: SQLite (WAL, synchronous=NORMAL) at {store.Display}, one committed transaction per activity step"
                : $"Runtime benchmark: {store.Display}, one committed transaction per activity step");

            await runtime.RunToEndAsync(loader.Load(Chain("bench-warmup", 50)), null, cancellationToken);
            var definition = loader.Load(Chain("bench-chain", steps));
            var perStep = new List<double>();
            var wall = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                var clock = Stopwatch.StartNew();
                var (id, status) = await runtime.RunToEndAsync(definition, null, cancellationToken);
                clock.Stop();
                if (status != WorkflowStatus.Finished)
                    throw new InvalidOperationException($"The benchmark chain ended {status}; see `show {id}`.");
                var started = (await journal.ReadAsync(id, 0, int.MaxValue, cancellationToken))
                    .Where(e => e.Kind == JournalKind.ActivityStarted).Select(e => e.At).ToList();
                perStep.AddRange(started.Zip(started.Skip(1), (a, b) => (b - a).TotalMilliseconds));
                wall.Add(clock.Elapsed.TotalMilliseconds / (steps + 1));
            }
            perStep.Sort();
            var median = perStep[perStep.Count / 2];
            var p90 = perStep[(int)(perStep.Count * 0.9)];
            output.WriteLine($"  chain of {steps} activities x {runs} runs: median {median:0.000} ms per step (p90 {p90:0.000} ms), " +
                             $"wall time {wall.Average():0.000} ms per step including start and end");

            await new CompositionBenchmark(output).RunAsync(services, runs, cancellationToken);
            await new LeaseRenewalBenchmark(output).RunAsync(services, cancellationToken);
            var bytesPerInstance = await MeasureSuspendedAsync(runtime, loader, cancellationToken);
            output.WriteLine($"  {suspended} instances suspended on a durable timer: {bytesPerInstance / 1024.0:0.00} KiB managed heap per suspended instance");
            output.WriteLine($"  target < 1 ms per step: {(median < 1.0 ? "met" : "MISSED")}");
            return new RuntimeBenchmarkResult(median, p90, bytesPerInstance);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<double> MeasureSuspendedAsync(IWorkflowRuntime runtime, IWorkflowDefinitionLoader loader, CancellationToken cancellationToken)
    {
        var definition = loader.Load(Waiting());
        // Warm up caches (definition graph, SQL, pools) so the delta is the instances only.
        var warm = await runtime.StartAsync(definition, null, null, cancellationToken);
        await runtime.WaitForIdleAsync(warm, cancellationToken);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var ids = new List<string>(suspended);
        for (var i = 0; i < suspended; i++)
            ids.Add(await runtime.StartAsync(definition, null, null, cancellationToken));
        foreach (var id in ids)
        {
            if (await runtime.WaitForIdleAsync(id, cancellationToken) != WorkflowStatus.Suspended)
                throw new InvalidOperationException($"Instance {id} did not suspend; see `show {id}`.");
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(ids);
        return Math.Max(0, after - before) / (double)suspended;
    }

    private static string Chain(string id, int count)
    {
        var activities = new JsonArray { Node("start", "Elsa.Start") };
        var connections = new JsonArray();
        var previous = "start";
        for (var i = 1; i <= count; i++)
        {
            var node = Node($"s{i}", "Elsa.SetVariable");
            node["variable"] = new JsonObject { ["id"] = "counter", ["name"] = "Counter", ["typeName"] = "Int32", ["isArray"] = false };
            node["value"] = new JsonObject { ["typeName"] = "Object", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = i.ToString() } };
            activities.Add(node);
            connections.Add(Connect(previous, $"s{i}"));
            previous = $"s{i}";
        }
        return Document(id, activities, connections, new JsonArray { new JsonObject { ["id"] = "counter", ["name"] = "Counter", ["typeName"] = "Int32", ["isArray"] = false, ["value"] = 0 } });
    }

    private static string Waiting()
    {
        var delay = Node("wait", "Elsa.Delay");
        delay["timeSpan"] = new JsonObject { ["typeName"] = "TimeSpan", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "1.00:00:00" } };
        return Document("bench-suspended", [Node("start", "Elsa.Start"), delay], [Connect("start", "wait")], []);
    }

    private static JsonObject Node(string id, string type) => new() { ["id"] = id, ["type"] = type, ["version"] = 1 };

    private static JsonObject Connect(string source, string target) => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = "Done" },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
    };

    private static string Document(string id, JsonArray activities, JsonArray connections, JsonArray variables) => new JsonObject
    {
        ["definitionId"] = id,
        ["name"] = id,
        ["version"] = 1,
        ["variables"] = variables,
        ["root"] = new JsonObject { ["id"] = "flow", ["type"] = "Elsa.Flowchart", ["activities"] = activities, ["connections"] = connections },
    }.ToJsonString();
}

/// <summary>What the runtime benchmark measured.</summary>
internal sealed record RuntimeBenchmarkResult(double MedianStepMs, double P90StepMs, double BytesPerSuspendedInstance);
