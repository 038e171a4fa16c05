using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Replication;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>
/// Offline step 1: plans the storage-level move of a stopped VM and refuses, before anything changes on any node, what
/// would fail or overwrite something: a VM that runs on the source or the target (or a node that cannot be asked:
/// never read as "stopped"), a source disk that is not there, a local disk whose target volume already exists, a
/// replicated disk that could only be sent in full without permission or into an existing dataset.
/// </summary>
// Version 2: the input Inventory (a file path on the server) became Site (a registered site's name).
[Activity("VmMigration", "VM Migration", "Plans the offline migration of a stopped VM (no QEMU) and refuses a running VM or anything that would overwrite data.", Version = 2)]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class PlanOfflineMigration : CodeActivity<string>
{
    [Input(Description = "The VM to move (its id in the site inventory); it must be stopped.", Required = true)]
    public Input<string>? VmId { get; set; }

    [Input(Description = "The node the VM's disks are on now.", Required = true)]
    public Input<string>? SourceNode { get; set; }

    [Input(Description = "The node the VM moves to.", Required = true)]
    public Input<string>? TargetNode { get; set; }

    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    [Input(Description = "Allow a full send of a replicated disk that has no replica on the target yet (never into an existing dataset).",
        DefaultValue = false)]
    public Input<bool>? FullSendIfNoBase { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var ct = context.CancellationToken;
        string Need(Input<string>? input, string name) =>
            context.Get(input) is { Length: > 0 } v ? v : throw new ArgumentException($"The input {name} is empty: give the {name} of the migration.");
        var (siteName, inventory) = await SiteSelection.LoadAsync(MigrationScope.Service<ISiteCatalog>(context), context.Get(Site), ct);
        var plan = await InventoryMigrationSite.CreateStoragePlanAsync(inventory, siteName, Need(VmId, nameof(VmId)), Need(SourceNode, nameof(SourceNode)),
            Need(TargetNode, nameof(TargetNode)), context.Logger, ct);
        await OfflineChecks.RequireStoppedAsync(plan, ct);
        var source = plan.SourceNodeDefinition.CreateExecutor(context.Logger);
        var target = plan.TargetNodeDefinition.CreateExecutor(context.Logger);
        foreach (var disk in plan.Disks.Where(d => d.Kind != MigrationDiskKind.Shared))
        {
            if (!await source.PathExistsAsync(disk.SourcePath, ct))
                throw new InvalidOperationException($"Disk {disk.DriveId} of VM {plan.VmId} is not on {plan.SourceNode} ({disk.SourcePath}): " +
                    "give as SourceNode the node the VM's disks are on.");
            if (disk.Kind == MigrationDiskKind.Local)
                await RequireNoTargetVolumeAsync(target, disk, ct);
            else
                await RequireSendableAsync(source, target, disk, context.Get(FullSendIfNoBase), ct);
        }
        plan = plan with { StartedAt = context.Time.GetUtcNow() };
        plan.Write(context);
        context.Set(Result, plan.ToJson());
        await context.JournalAsync(
            $"VM {plan.VmId} (stopped): {plan.SourceNode} -> {plan.TargetNode} offline, disks: " +
            string.Join(", ", plan.Disks.Select(d => $"{d.DriveId} {d.Kind}{(d.Attached ? "" : " (unused)")} {d.SizeBytes} B")),
            new JsonObject { ["disks"] = new JsonArray(plan.Disks.Select(d => (JsonNode)$"{d.DriveId}:{d.Kind}").ToArray()) });
    }

    private static async Task RequireNoTargetVolumeAsync(NodeExecutor target, DiskPlan disk, CancellationToken ct)
    {
        var exists = disk.TargetDataset is { } dataset
            ? await new ZfsDriver(target).ExistsAsync(dataset, ct)
            : (await target.TryRunAsync(new NodeCommand("test", "-e", disk.TargetPath), ct)).Succeeded;
        if (exists)
            throw new InvalidOperationException($"The target volume of disk {disk.DriveId} already exists on {target.NodeName} " +
                $"({disk.TargetDataset ?? disk.TargetPath}): refusing to overwrite it. If it is a stale copy of this VM, remove or rename it there.");
    }

    private static async Task RequireSendableAsync(NodeExecutor source, NodeExecutor target, DiskPlan disk, bool fullSendIfNoBase, CancellationToken ct)
    {
        var sourceZfs = new ZfsDriver(source);
        var targetZfs = new ZfsDriver(target);
        var common = await ZfsReplicator.NewestCommonSnapshotAsync(sourceZfs, disk.SourceDataset!, targetZfs, disk.TargetDataset!, ct);
        var exists = common is not null || await targetZfs.ExistsAsync(disk.TargetDataset!, ct);
        var newer = await DiskReplication.NewerOnTargetAsync(targetZfs, disk.TargetDataset!, common, ct);
        if (ReplicationBase.Decide(common?.Name, newer, exists, fullSendIfNoBase, target.NodeName, disk.TargetDataset!).Refusal is { } refusal)
            throw new InvalidOperationException($"Disk {disk.DriveId}: {refusal}");
    }
}
