using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Preflight;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 1: reads the VM's disks from the registered site's inventory (<see cref="ISiteCatalog"/>), checks them against the running source QEMU, and writes the
/// migration plan, with the two node definitions it needs, into the <c>MigrationPlan</c> variable: shared (nothing to copy), local (full copy), replicated
/// (incremental on top of the replica), attached or unused.
/// </summary>
// Version 2: the input Inventory (a file path on the server) became Site (a registered site's name).
[Activity("VmMigration", "VM Migration", "Collects the VM's disks (shared, local, replicated, unused) and writes the migration plan.", Version = 2)]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class GetDiskInfo : CodeActivity<string>
{
    [Input(Description = "The VM to migrate (its id in the site inventory).", Required = true)]
    public Input<string>? VmId { get; set; }

    [Input(Description = "The node the VM runs on now.", Required = true)]
    public Input<string>? SourceNode { get; set; }

    [Input(Description = "The node the VM moves to.", Required = true)]
    public Input<string>? TargetNode { get; set; }

    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var planner = MigrationScope.Service<IMigrationSite>(context);
        var catalog = MigrationScope.Service<ISiteCatalog>(context);
        var pool = MigrationScope.Service<QmpSessionPool>(context);
        string Need(Input<string>? input, string name) =>
            context.Get(input) is { Length: > 0 } v ? v : throw new ArgumentException($"The input {name} is empty: give the {name} of the migration.");
        var source = Need(SourceNode, nameof(SourceNode));
        var target = Need(TargetNode, nameof(TargetNode));
        if (source == target) throw new ArgumentException($"SourceNode and TargetNode are both '{source}': choose a different target node.");

        // The site name is checked (no path) before the catalog or any node is asked.
        var (siteName, inventory) = await SiteSelection.LoadAsync(catalog, context.Get(Site), context.CancellationToken);
        var plan = await planner.CreatePlanAsync(inventory, siteName, Need(VmId, nameof(VmId)), source, target, context.CancellationToken)
            with { StartedAt = context.Time.GetUtcNow() };

        var qmp = await pool.GetAsync(plan.SourceNodeDefinition.CreateExecutor(context.Logger), plan.SourceQmpSocket, context.CancellationToken);
        await VmPlacement.RequireSourceQemuAsync(plan, qmp.Client, context.CancellationToken);

        plan.Write(context);
        context.Set(Result, plan.ToJson());
        await PlanJournal.WriteAsync(context, plan);
    }
}
