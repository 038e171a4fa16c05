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
/// The VM lock and the node limit hold across hosts, on each engine: two servers on one database, starts of the same VM
/// (or on the same node, with <c>MaxConcurrentPerNode=1</c>) sent through both at once, several rounds: each round exactly
/// one start is admitted (202), the other refused (409 <c>vm-busy</c> / <c>node-limit</c>) without an instance.
/// </summary>
public abstract class AdmissionAcrossHostsTests(PostgreSqlServer? server, DatabaseEngine engine, ITestOutputHelper output) : StoreTestBase(server, engine)
{
    private const int Rounds = 5;
    private static readonly Dictionary<string, string?> Settings = new() { ["Migrations:MaxConcurrentPerNode"] = "1" };

    [Fact(Timeout = 120_000)]
    public async Task Concurrent_starts_through_two_hosts_admit_one_per_VM_and_respect_the_node_limit()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(100));
        await using var hostA = await RunningServer.StartAsync(Store.Setting, configuration: Settings, cancellationToken: timeout.Token);
        await using var hostB = await RunningServer.StartAsync(Store.Setting, hostA.Token, Settings, timeout.Token);
        await TestWorkflows.ImportAsync(hostA.Client, TestWorkflows.Holding, timeout.Token);

        var admitted = 0;
        for (var round = 0; round < Rounds; round++)
        {
            // The same VM between different nodes: only the VM lock can refuse one.
            var sameVm = await Task.WhenAll(
                StartAsync(hostA, "A", $"vm-{round}", $"a{round}", $"b{round}", timeout.Token),
                StartAsync(hostB, "B", $"vm-{round}", $"c{round}", $"d{round}", timeout.Token));
            AssertOneAdmitted(sameVm, "vm-busy");
            // Different VMs sharing source node n{round}: only the node limit (1) can refuse one.
            var sameNode = await Task.WhenAll(
                StartAsync(hostA, "A", $"vm-x{round}", $"n{round}", $"p{round}", timeout.Token),
                StartAsync(hostB, "B", $"vm-y{round}", $"n{round}", $"q{round}", timeout.Token));
            AssertOneAdmitted(sameNode, "node-limit");
            admitted += 2;
            output.WriteLine($"{Store.Engine} round {round}: same VM {Describe(sameVm)}; same node {Describe(sameNode)}");
        }

        var instances = await hostB.Services.GetRequiredService<IWorkflowInstanceStore>().ListAsync(new InstanceQuery(DefinitionId: "hold"), timeout.Token);
        Assert.Equal(admitted, instances.Count); // a refused start created nothing
    }

    private static void AssertOneAdmitted((HttpStatusCode Status, string? Code, string Via)[] answers, string refusal)
    {
        Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        var refused = Assert.Single(answers, a => a.Status == HttpStatusCode.Conflict);
        Assert.Equal(refusal, refused.Code);
    }

    private static string Describe((HttpStatusCode Status, string? Code, string Via)[] answers) =>
        string.Join(", ", answers.Select(a => $"{a.Via} {(int)a.Status}{(a.Code is null ? "" : " " + a.Code)}"));

    private static async Task<(HttpStatusCode Status, string? Code, string Via)> StartAsync(
        RunningServer host, string name, string vmId, string source, string target, CancellationToken cancellationToken)
    {
        using var answer = await host.Client.PostAsJsonAsync("/api/migrations", new JsonObject
        {
            ["definitionId"] = "hold",
            ["inputs"] = new JsonObject { ["VmId"] = vmId, ["SourceNode"] = source, ["TargetNode"] = target },
        }, cancellationToken);
        var body = await answer.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return (answer.StatusCode, body?["code"]?.GetValue<string>(), name);
    }
}

public sealed class SqliteAdmissionAcrossHostsTests(ITestOutputHelper output) : AdmissionAcrossHostsTests(null, DatabaseEngine.Sqlite, output);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlAdmissionAcrossHostsTests(PostgreSqlServer server, ITestOutputHelper output) : AdmissionAcrossHostsTests(server, DatabaseEngine.PostgreSql, output);
