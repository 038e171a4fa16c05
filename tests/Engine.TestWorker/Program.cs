using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.TestWorker;
using Microsoft.Extensions.DependencyInjection;

// Usage: start --db PATH   starts two instances (one Rerun, one Compensate activity), blocks inside both until killed
//        recover --db PATH recovers what the killed process left running and waits until those instances end
if (args.Length != 3 || args[1] != "--db" || args[0] is not ("start" or "recover"))
{
    await Console.Error.WriteLineAsync("usage: (start|recover) --db PATH");
    return 64;
}
var block = args[0] == "start";
await using var services = new ServiceCollection()
    .AddSingleton(new WorkerMode(block))
    .AddMigrationEngine(o => { o.DatabasePath = args[2]; o.ActivityAssemblies.Add(typeof(WorkerMode).Assembly); })
    .BuildServiceProvider();
var runtime = services.GetRequiredService<IWorkflowRuntime>();
var loader = services.GetRequiredService<IWorkflowDefinitionLoader>();

if (block)
{
    var rerun = await runtime.StartAsync(loader.Load(Definitions.Rerun));
    var compensate = await runtime.StartAsync(loader.Load(Definitions.Compensate));
    Console.Out.WriteLine($"started {rerun} {compensate}");
    await Console.Out.FlushAsync();
    await Task.Delay(Timeout.InfiniteTimeSpan);
    return 0;
}

var report = await runtime.RecoverAsync();
foreach (var (id, error) in report.Failed)
    await Console.Error.WriteLineAsync($"could not recover {id}: {error}");
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
foreach (var id in report.Recovered)
    Console.Out.WriteLine($"{id} {await runtime.WaitForEndAsync(id, timeout.Token)}");
return report.Failed.Count == 0 ? 0 : 1;

/// <summary>The two workflows the crash test runs.</summary>
internal static class Definitions
{
    public const string Rerun = """
        {"definitionId":"crash-rerun","name":"crash-rerun","version":1,
         "root":{"id":"flow","type":"Elsa.Flowchart","activities":[
           {"id":"start","type":"Elsa.Start","version":1},
           {"id":"idempotent","type":"Worker.Idempotent","version":1},
           {"id":"after","type":"Elsa.WriteLine","version":1,"text":{"typeName":"String","expression":{"type":"Literal","value":"after"}}}],
          "connections":[
           {"source":{"activity":"start","port":"Done"},"target":{"activity":"idempotent","port":"In"}},
           {"source":{"activity":"idempotent","port":"Done"},"target":{"activity":"after","port":"In"}}]}}
        """;

    public const string Compensate = """
        {"definitionId":"crash-compensate","name":"crash-compensate","version":1,
         "customProperties":{"compensationActivityId":"rollback"},
         "root":{"id":"flow","type":"Elsa.Flowchart","activities":[
           {"id":"start","type":"Elsa.Start","version":1},
           {"id":"risky","type":"Worker.NotIdempotent","version":1},
           {"id":"after","type":"Elsa.WriteLine","version":1,"text":{"typeName":"String","expression":{"type":"Literal","value":"after"}}},
           {"id":"rollback","type":"Worker.Rollback","version":1}],
          "connections":[
           {"source":{"activity":"start","port":"Done"},"target":{"activity":"risky","port":"In"}},
           {"source":{"activity":"risky","port":"Done"},"target":{"activity":"after","port":"In"}}]}}
        """;
}
