using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// Plans the evacuation of a node from the site's inventory, before any VM moves: which VMs (the given ones, else
/// every VM of the site that runs on the node now: <see cref="VmsOnNode"/>), which target each goes to (round-robin
/// over the target nodes), and how many migrate at once (never above the host's per-node limit: lowered, with a
/// journal line saying so). Its journal line carries the plan (<see cref="EvacuationReport.PlanKey"/>).
/// </summary>
[Activity("Evacuation", "Evacuation", "Plans which VMs leave the node, to which target each goes, and how many move at once.", DisplayName = "Plan Evacuation")]
[Recovery(RecoveryPolicy.Rerun)] // it only reads the inventory and asks the node
public sealed class PlanEvacuation : CodeActivity
{
    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    [Input(DisplayName = "From node", Description = "The node to empty.", Required = true)]
    public Input<string>? FromNode { get; set; }

    [Input(DisplayName = "VM ids", Description = "The VMs to move (e.g. '101,102'); empty: every VM of the site that runs on the node now.")]
    public Input<object>? VmIds { get; set; }

    [Input(DisplayName = "Target node", Description = "Where the VMs go: one node, or several separated by commas to spread the VMs over them in turn.", Required = true)]
    public Input<object>? TargetNode { get; set; }

    [Input(DisplayName = "Max parallel", Description = "How many VMs migrate at once (at most the host's per-node limit, Migrations:MaxConcurrentPerNode).", DefaultValue = 2)]
    public Input<int>? MaxParallel { get; set; }

    [Output(Description = "One item per VM: {vmId, sourceNode, targetNode}, in the order they start.")]
    public Output<object>? Moves { get; set; }

    [Output(DisplayName = "Max parallel", Description = "How many migrate at once (MaxParallel, lowered to the host's limit).")]
    public Output<int>? Parallelism { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var ct = context.CancellationToken;
        var node = context.Get(FromNode) is { Length: > 0 } n ? n.Trim() : throw new ArgumentException("The input FromNode is empty: give the node to evacuate.");
        var (site, inventory) = await SiteSelection.LoadAsync(context.Services.GetRequiredService<ISiteCatalog>(), context.Get(Site), ct);
        inventory.GetNode(node);
        var targets = NameList.Parse(context.Get(TargetNode));
        foreach (var target in targets)
            inventory.GetNode(target);
        var given = NameList.Parse(context.Get(VmIds));
        foreach (var vm in given)
            inventory.GetVm(vm);
        var vms = given.Count > 0 ? given : await VmsOnNode.FindAsync(inventory, node, context.Logger, ct);
        var moves = EvacuationPlanner.Assign(node, vms, targets);
        var starter = context.Services.GetService<IVmMigrationStarter>() ?? new RuntimeVmMigrationStarter(context.Services.GetRequiredService<IWorkflowRuntime>());
        var (parallel, clamped) = EvacuationPlanner.Parallelism(context.Get(MaxParallel), starter.MaxConcurrentPerNode);
        if (clamped is not null)
            await context.JournalAsync(clamped);
        var which = given.Count > 0 ? "the VMs given" : $"the VMs of site {site} running on {node} now";
        await context.JournalAsync(
            moves.Count == 0
                ? $"Nothing to move: no VM of site {site} runs on {node} now."
                : $"Evacuating {node}: {which}, {parallel} at a time: {string.Join(", ", moves.Select(m => $"{m.VmId} -> {m.TargetNode}"))}",
            new JsonObject
            {
                [EvacuationReport.PlanKey] = new JsonObject
                {
                    ["site"] = site,
                    ["node"] = node,
                    ["moves"] = new JsonArray([.. moves.Select(m => (JsonNode)m.ToJson())]),
                    ["maxParallel"] = parallel,
                },
            });
        context.Set(Moves, new JsonArray([.. moves.Select(m => (JsonNode)m.ToJson())]));
        context.Set(Parallelism, parallel);
    }
}
