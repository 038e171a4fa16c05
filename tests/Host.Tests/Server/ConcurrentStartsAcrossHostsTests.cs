using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Server;

/// <summary>
/// Issue 15: "20 concurrent short workflows across two hosts: none runs twice, none is lost", on each engine. Two
/// servers on one database, 20 starts (each with a 1 s durable timer, which both hosts' timer schedulers see) sent
/// through both at once; every one is admitted, ends Finished once, and each of its activities completed once in its
/// journal.
/// </summary>
public abstract class ConcurrentStartsAcrossHostsTests(PostgreSqlServer? server, DatabaseEngine engine, ITestOutputHelper output) : StoreTestBase(server, engine)
{
    private const int Count = 20;
    private static readonly string[] Activities = ["start1", "hello1", "delay1", "bye1", "finish1"];

    [Fact(Timeout = 180_000)]
    public async Task Twenty_concurrent_short_workflows_through_two_hosts_each_run_once_and_finish()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var hostA = await RunningServer.StartAsync(Store.Setting, cancellationToken: timeout.Token);
        await using var hostB = await RunningServer.StartAsync(Store.Setting, hostA.Token, cancellationToken: timeout.Token);
        await TestWorkflows.ImportAsync(hostA.Client, TestWorkflows.Delaying("short-flow", "00:00:01"), timeout.Token);

        var clock = Stopwatch.StartNew();
        var ids = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => StartAsync(i % 2 == 0 ? hostA : hostB, i, timeout.Token)));
        var started = clock.Elapsed;
        Assert.Equal(Count, ids.Distinct().Count());

        var instances = hostA.Services.GetRequiredService<IWorkflowInstanceStore>();
        var journal = hostB.Services.GetRequiredService<IJournalStore>();
        while (true)
        {
            var listed = await instances.ListAsync(new InstanceQuery(DefinitionId: "short-flow"), timeout.Token);
            if (listed.Count == Count && listed.All(i => i.Status.IsTerminal()))
                break;
            await Task.Delay(100, timeout.Token);
        }
        var ended = clock.Elapsed;
        foreach (var id in ids)
        {
            var instance = await instances.GetAsync(id, timeout.Token);
            Assert.Equal(WorkflowStatus.Finished, instance!.Status);
            var entries = await journal.ReadAsync(id, 0, 10_000, timeout.Token);
            foreach (var activity in Activities)
                Assert.True(entries.Count(e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == activity) == 1,
                    $"{id}: {activity} completed {entries.Count(e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == activity)} times");
            Assert.Single(entries, e => e.Kind == JournalKind.Status && e.Message == nameof(WorkflowStatus.Finished));
            Assert.Single(entries, e => e.Kind == JournalKind.Message && e.Message == "done"); // the line after the timer, written once
        }
        output.WriteLine($"{Store.Engine}: {Count} starts through two hosts admitted in {started.TotalSeconds:0.00} s, all Finished once " +
            $"{ended.TotalSeconds:0.00} s after the first start (each holds a 1 s timer)");
    }

    private static async Task<string> StartAsync(RunningServer host, int i, CancellationToken cancellationToken)
    {
        using var answer = await host.Client.PostAsJsonAsync("/api/migrations", new JsonObject
        {
            ["definitionId"] = "short-flow",
            ["inputs"] = new JsonObject { ["VmId"] = $"vm-{i}", ["SourceNode"] = $"a{i}", ["TargetNode"] = $"b{i}" },
        }, cancellationToken);
        var body = await answer.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.True(answer.StatusCode == HttpStatusCode.Accepted, $"start {i}: {(int)answer.StatusCode} {body}");
        return body!["instanceId"]!.GetValue<string>();
    }
}

public sealed class SqliteConcurrentStartsAcrossHostsTests(ITestOutputHelper output) : ConcurrentStartsAcrossHostsTests(null, DatabaseEngine.Sqlite, output);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlConcurrentStartsAcrossHostsTests(PostgreSqlServer server, ITestOutputHelper output)
    : ConcurrentStartsAcrossHostsTests(server, DatabaseEngine.PostgreSql, output);
