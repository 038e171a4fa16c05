using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Step 1: reads the VM's disks from the site inventory, checks them against the running source QEMU, and writes the
/// migration plan into the <c>MigrationPlan</c> variable: shared (nothing to copy), local (full copy), replicated
/// (incremental on top of the replica), attached or unused.
/// </summary>
[Activity("VmMigration", "VM Migration", "Collects the VM's disks (shared, local, replicated, unused) and writes the migration plan.")]
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

    [Input(Description = "Path of the site inventory file (nodes, VMs, disks).", Required = true)]
    public Input<string>? Inventory { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var site = MigrationScope.Service<IMigrationSite>(context);
        var pool = MigrationScope.Service<QmpSessionPool>(context);
        string Need(Input<string>? input, string name) =>
            context.Get(input) is { Length: > 0 } v ? v : throw new ArgumentException($"The input {name} is empty: give the {name} of the migration.");
        var source = Need(SourceNode, nameof(SourceNode));
        var target = Need(TargetNode, nameof(TargetNode));
        if (source == target) throw new ArgumentException($"SourceNode and TargetNode are both '{source}': choose a different target node.");

        var plan = await site.CreatePlanAsync(Need(Inventory, nameof(Inventory)), Need(VmId, nameof(VmId)), source, target, context.CancellationToken);
        plan.StartedAt = context.Time.GetUtcNow();

        // The running QEMU is the truth for attached disks: every attached disk of the plan must be there, by node-name.
        var qmp = await pool.GetAsync(site.GetNode(plan.InventoryPath, plan.SourceNode), plan.SourceQmpSocket, context.CancellationToken);
        var status = await qmp.Client.QueryStatusAsync(context.CancellationToken);
        if (status.Status is not (RunState.Running or RunState.Paused))
            throw new InvalidOperationException($"VM {plan.VmId} on {plan.SourceNode} is '{status.Status}', not running: start it or migrate it offline.");
        var nodes = (await qmp.Client.QueryNamedBlockNodesAsync(context.CancellationToken)).Select(n => n.NodeName).ToHashSet();
        foreach (var disk in plan.AttachedDisks)
            if (!nodes.Contains(disk.NodeName))
                throw new InvalidOperationException(
                    $"Disk {disk.DeviceId} of VM {plan.VmId}: the running QEMU has no block node '{disk.NodeName}'. Fix the inventory's node-name for this disk.");

        plan.Write(context);
        context.Set(Result, plan.ToJson());
        var disks = new JsonArray(plan.Disks.Select(d => (JsonNode)new JsonObject
        {
            ["device"] = d.DeviceId, ["kind"] = d.Kind.ToString(), ["attached"] = d.Attached, ["sizeBytes"] = d.SizeBytes,
        }).ToArray());
        await context.JournalAsync(
            $"VM {plan.VmId}: {plan.SourceNode} -> {plan.TargetNode}, disks: " +
            string.Join(", ", plan.Disks.Select(d => $"{d.DeviceId} {d.Kind}{(d.Attached ? "" : " (unused)")} {d.SizeBytes} B")) +
            $"; {plan.EndpointsDescription}",
            new JsonObject { ["disks"] = disks, ["migrationUri"] = plan.MigrationUri, ["tcpHost"] = plan.TargetTcpHost });
    }
}
