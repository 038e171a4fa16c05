using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Evacuation;

/// <summary>
/// The shipped <c>evacuate-node.json</c> in the real server (Kestrel, SQLite, the host's admission): each VM's migration
/// is an instance of its own admitted like any start, so a VM being migrated already is that VM's result "Refused" while
/// the others go on; the evacuation itself holds no lock or node slot; MaxParallel is lowered to the host's per-node
/// limit with a journal line; cancelling the evacuation cancels the VM migrations it started. The migration procedure
/// is a stand-in that moves nothing (the lab test moves real VMs): these rules are the host's, not QEMU's.
/// </summary>
public sealed class EvacuationAdmissionTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        // One migration per node: an evacuation that held a slot itself would leave none for its own migrations.
        _server = await RunningServer.StartAsync(_db.Path, configuration: new Dictionary<string, string?> { ["Migrations:MaxConcurrentPerNode"] = "1" },
            cancellationToken: _timeout.Token);
        await ImportAsync(EvacuationWorkflows.Shipped());
        await ImportAsync(EvacuationWorkflows.StandInMigration("move-stub"));
        await ImportAsync(EvacuationWorkflows.StandInMigration("move-slowly", delay: "00:10:00"));
        await ImportAsync(TestWorkflows.Delaying("held-flow", "00:10:00"));
        var site = await _server.Client.PostAsJsonAsync("/api/sites",
            new JsonObject { ["name"] = "site", ["inventory"] = EvacuationWorkflows.Site(Path.Combine(_db.Folder, "nodes"), "vm-x", "vm-y") }, _timeout.Token);
        Assert.True(site.StatusCode == HttpStatusCode.Created, await site.Content.ReadAsStringAsync(_timeout.Token));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _db.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_vm_being_migrated_already_is_reported_refused_busy_and_the_others_still_move()
    {
        var held = await StartAsync(MigrationApiTests.Start("held-flow", "vm-x"));

        var evacuation = await StartAsync(Evacuation("move-stub"));
        var status = await Runtime.WaitForEndAsync(evacuation, _timeout.Token);

        Assert.Equal(WorkflowStatus.Faulted, status); // not every VM left the node
        var instance = (await Instances.GetAsync(evacuation, _timeout.Token))!;
        var results = WorkflowOutputs.Read(instance)["Results"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(["vm-x", "vm-y"], results.Select(r => r["vmId"]!.GetValue<string>()));
        Assert.All(results, r => Assert.Equal("lab-b", r["targetNode"]!.GetValue<string>()));
        Assert.Equal("Refused", results[0]["outcome"]!.GetValue<string>());
        Assert.StartsWith($"vm-busy: VM vm-x is being migrated by instance {held}", results[0]["reason"]!.GetValue<string>());
        Assert.Null(results[0]["instanceId"]);
        Assert.Equal("Finished", results[1]["outcome"]!.GetValue<string>()); // the stand-in moves no VM: it finished
        var child = (await Instances.GetAsync(results[1]["instanceId"]!.GetValue<string>(), _timeout.Token))!;
        Assert.Equal(("move-stub", WorkflowStatus.Finished, "vm-y"), (child.DefinitionId, child.Status, child.CorrelationId));
        var childJournal = await _server.Services.GetRequiredService<IJournalStore>().ReadAsync(child.Id, 0, 1000, _timeout.Token);
        Assert.Contains(childJournal, e => e.Message == "moving vm-y from lab-a to lab-b");

        var journal = await _server.Services.GetRequiredService<IJournalStore>().ReadAsync(evacuation, 0, 1000, _timeout.Token);
        Assert.Contains(journal, e => e.Message == "MaxParallel 2 is above the host's limit of 1 migrations per node (Migrations:MaxConcurrentPerNode): 1 at a time");
        var view = await _server.Client.GetFromJsonAsync<JsonObject>($"/api/migrations/{evacuation}", _timeout.Token);
        Assert.Equal("RolledBack", view!["outcome"]!.GetValue<string>());
        Assert.StartsWith("1 of 2 VMs moved; VM vm-x (lab-a -> lab-b) Refused: vm-busy: VM vm-x is being migrated", view["reason"]!.GetValue<string>());
        Assert.Equal(view["reason"]!.GetValue<string>(), instance.Error); // the incident of its Elsa.Fault
        // Only the held VM's lock is left: the evacuation took none, its migration released its own.
        Assert.Equal([("vm-x", held)], (await _server.Services.GetRequiredService<VmLockStore>().ListAsync(_timeout.Token)).Select(l => (l.VmId, l.InstanceId)));
    }

    [Fact]
    public async Task Cancelling_the_evacuation_cancels_the_migration_it_started_and_records_its_end()
    {
        var evacuation = await StartAsync(Evacuation("move-slowly", vmIds: "vm-y"));
        var child = await WaitForChildAsync("vm-y");

        var cancel = await _server.Client.PostAsync($"/api/migrations/{evacuation}/cancel", null, _timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);

        Assert.Equal(WorkflowStatus.Cancelled, await Runtime.WaitForEndAsync(evacuation, _timeout.Token));
        Assert.Equal(WorkflowStatus.Cancelled, (await Instances.GetAsync(child, _timeout.Token))!.Status);
        var journal = await _server.Services.GetRequiredService<IJournalStore>().ReadAsync(evacuation, 0, 1000, _timeout.Token);
        var row = journal.Select(e => e.Data?["vmMigrationResult"]).OfType<JsonObject>().Single();
        Assert.Equal(("vm-y", child), (row["vmId"]!.GetValue<string>(), row["instanceId"]!.GetValue<string>()));
        // The end row is appended by the activity itself, past the runtime: it names the server as its writer all the same.
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", Assert.Single(journal.Select(e => e.Host).Distinct()));
        var view = await _server.Client.GetFromJsonAsync<JsonObject>($"/api/migrations/{evacuation}", _timeout.Token);
        Assert.Equal("RolledBack", view!["outcome"]!.GetValue<string>());
        Assert.Empty(await _server.Services.GetRequiredService<VmLockStore>().ListAsync(_timeout.Token));
    }

    [Fact]
    public async Task The_procedure_is_listed_in_Studio_with_its_activities_in_the_palette()
    {
        var list = await _server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/workflow-definitions", _timeout.Token);
        var descriptors = await _server.Client.GetFromJsonAsync<JsonObject>("/elsa/api/descriptors/activities?Refresh=True", _timeout.Token);

        Assert.Contains(list!["items"]!.AsArray(), d => d!["definitionId"]!.GetValue<string>() == "evacuate-node");
        var evacuation = descriptors!["items"]!.AsArray().Select(d => d!.AsObject()).Where(d => d["category"]!.GetValue<string>() == "Evacuation")
            .Select(d => d["typeName"]!.GetValue<string>()).Order();
        Assert.Equal(["Evacuation.MigrateVm", "Evacuation.PlanEvacuation", "Evacuation.Summarize"], evacuation);
    }

    private IWorkflowRuntime Runtime => _server.Services.GetRequiredService<IWorkflowRuntime>();
    private IWorkflowInstanceStore Instances => _server.Services.GetRequiredService<IWorkflowInstanceStore>();

    private static JsonObject Evacuation(string procedure, string vmIds = "vm-x,vm-y") => new()
    {
        ["definitionId"] = "evacuate-node",
        ["inputs"] = new JsonObject { ["Site"] = "site", ["Node"] = "lab-a", ["TargetNode"] = "lab-b", ["VmIds"] = vmIds, ["Procedure"] = procedure },
    };

    private async Task<string> StartAsync(JsonObject request)
    {
        var response = await _server.Client.PostAsJsonAsync("/api/migrations", request, _timeout.Token);
        var body = await response.Content.ReadAsStringAsync(_timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["instanceId"]!.GetValue<string>();
    }

    private async Task<string> WaitForChildAsync(string vmId)
    {
        while (true)
        {
            if ((await Instances.ListAsync(new InstanceQuery(CorrelationId: vmId), _timeout.Token)).FirstOrDefault() is { } child)
                return child.Id;
            await Task.Delay(50, _timeout.Token);
        }
    }

    private async Task ImportAsync(string json)
    {
        var response = await _server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), _timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(_timeout.Token));
    }
}
