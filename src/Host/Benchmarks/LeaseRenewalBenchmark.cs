using System.Diagnostics;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Benchmarks;

/// <summary>
/// The cost of one lease renewal (one write transaction: the process's <c>runtime_hosts</c> row and the expiry of every
/// instance it holds) while this process holds <c>held</c> running instances; they are cancelled afterwards.
/// </summary>
internal sealed class LeaseRenewalBenchmark(TextWriter output)
{
    private const int Held = 20;
    private const int Renewals = 200;

    // Running until cancelled: a Delay inside a container waits in-process.
    private const string Holding = """
        {"id": "bench-lease-v1", "definitionId": "bench-lease", "name": "bench-lease", "version": 1,
         "root": {"id": "seq", "type": "Elsa.Sequence", "version": 1, "activities": [
           {"id": "wait", "type": "Elsa.Delay", "version": 1, "timeSpan": {"typeName": "TimeSpan", "expression": {"type": "Literal", "value": "01:00:00"}}}
         ]}}
        """;

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var runtime = services.GetRequiredService<IWorkflowRuntime>();
        var leases = services.GetRequiredService<IInstanceLeaseStore>();
        var definition = services.GetRequiredService<IWorkflowDefinitionLoader>().Load(Holding);
        var ids = new List<string>(Held);
        for (var i = 0; i < Held; i++)
            ids.Add(await runtime.StartAsync(definition, null, null, cancellationToken));
        try
        {
            var holder = (await leases.GetAsync(ids[0], cancellationToken))?.Holder
                ?? throw new InvalidOperationException("The benchmark's instance has no lease holder.");
            var times = new List<double>(Renewals);
            for (var i = 0; i < Renewals; i++)
            {
                var now = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                var renewed = await leases.RenewAsync(holder, now, now.AddSeconds(10), cancellationToken);
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (renewed != Held)
                    throw new InvalidOperationException($"A renewal extended {renewed} leases, not {Held}.");
            }
            times.Sort();
            output.WriteLine($"  lease renewal holding {Held} running instances, {Renewals} renewals: median {times[times.Count / 2]:0.000} ms " +
                             $"(p90 {times[(int)(times.Count * 0.9)]:0.000} ms) per renewal");
        }
        finally
        {
            foreach (var id in ids)
                await runtime.CancelAsync(id, CancellationToken.None);
            foreach (var id in ids)
                await runtime.WaitForEndAsync(id, CancellationToken.None);
        }
    }
}
