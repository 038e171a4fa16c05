using System.Text.Json.Nodes;
using Elsa.Migration.Lab;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Evacuation;

/// <summary>
/// The evacuation on a schedule, as an operator sets it up: the shipped procedure with an <c>Elsa.Cron</c> at its start
/// (and defaults for its inputs) imported with the CLI next to live-migrate, listed by <c>schedule list</c>, and fired
/// by the server's Quartz scheduler. The site's VMs are not running, so the fired evacuation plans nothing to move and
/// finishes with an empty result table: it asked every VM on the node (the real probe, no QEMU running).
/// </summary>
public sealed class EvacuationScheduleTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task An_evacuation_with_a_cron_trigger_shows_up_in_schedule_list_and_fires()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        var site = Path.Combine(_db.Folder, "site.json");
        await File.WriteAllTextAsync(site, EvacuationWorkflows.Site(Path.Combine(_db.Folder, "nodes"), "vm-1", "vm-2").ToJsonString(), timeout.Token);
        var cron = Path.Combine(_db.Folder, "evacuate-node-nightly.json");
        await File.WriteAllTextAsync(cron, EvacuationWorkflows.WithCron("*/2 * * * * *",
            new Dictionary<string, string> { ["Node"] = "lab-a", ["TargetNode"] = "lab-b", ["Site"] = "site" }), timeout.Token);
        await RunCliAsync("site", "import", site, "--name", "site");
        await RunCliAsync("import", MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), cron);

        var list = await RunCliAsync("schedule", "list");

        Assert.Contains("trg-evacuate-node  evacuate-node  cron '", list);

        await using var server = await RunningServer.StartAsync(_db.Path, cancellationToken: timeout.Token);
        var instances = server.Services.GetRequiredService<IWorkflowInstanceStore>();
        WorkflowInstanceSummary? fired = null;
        while (fired is null)
        {
            fired = (await instances.ListAsync(new InstanceQuery(DefinitionId: "evacuate-node"), timeout.Token)).FirstOrDefault();
            await Task.Delay(200, timeout.Token);
        }
        Assert.Equal(WorkflowStatus.Finished, await server.Services.GetRequiredService<IWorkflowRuntime>().WaitForEndAsync(fired.Id, timeout.Token));
        var instance = (await instances.GetAsync(fired.Id, timeout.Token))!;
        Assert.Equal(new JsonArray(), WorkflowOutputs.Read(instance)["Results"], JsonNode.DeepEquals);
        var journal = await server.Services.GetRequiredService<IJournalStore>().ReadAsync(fired.Id, 0, 1000, timeout.Token);
        Assert.Contains(journal, e => e.Message == "Nothing to move: no VM of site site runs on lab-a now.");
    }

    private async Task<string> RunCliAsync(params string[] arguments)
    {
        var (exit, output, error) = await CliProcess.RunAsync(_db.Path, [.. arguments, "--db", _db.Path]);
        Assert.True(exit == 0, $"{string.Join(' ', arguments)} exited {exit}:\n{output}\n{error}");
        return output;
    }
}
