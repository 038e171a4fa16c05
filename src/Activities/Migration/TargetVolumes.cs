using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Creates and deletes the non-replicated volumes a migration makes on the target, per storage layout:
/// <c>files</c> a dataset with a sparse raw file, <c>zvol</c> a ZFS volume, <c>directory</c> a sparse file.
/// Refuses to overwrite; delete is idempotent (undo runs safely twice).
/// </summary>
internal static class TargetVolumes
{
    /// <summary>Ledger details that let undo delete the volume.</summary>
    public static JsonObject Details(DiskPlan disk) => new() { ["disk"] = disk.DeviceId, ["layout"] = disk.TargetLayout, ["dataset"] = disk.TargetDataset };

    public static async Task CreateAsync(NodeExecutor node, DiskPlan disk, CancellationToken ct)
    {
        var path = NameRules.Require(disk.TargetPath, NameRules.IsSafeAbsolutePath, "target volume path");
        var size = disk.SizeBytes.ToString(CultureInfo.InvariantCulture);
        if (disk.TargetLayout is "files" or "zvol")
        {
            var dataset = NameRules.Require(disk.TargetDataset, NameRules.IsDatasetName, "target dataset");
            if (await ZfsCommands.ExistsAsync(node, dataset, ct))
                throw new InvalidOperationException($"The target dataset {dataset} of disk {disk.DeviceId} already exists on {node.NodeName}: " +
                    "refusing to overwrite it. If the disk is replicated, mark it so in the inventory; else remove the dataset.");
            if (disk.TargetLayout == "zvol")
            {
                await node.RunAsync(new NodeCommand("zfs", "create", "-V", size, dataset), ct);
                return;
            }
            await node.RunAsync(new NodeCommand("zfs", "create", dataset), ct);
        }
        else if ((await node.AskAsync(new NodeCommand("test", "-e", path), ct)).Succeeded)
        {
            throw new InvalidOperationException($"The target volume {path} already exists on {node.NodeName}: refusing to overwrite it.");
        }
        await node.RunAsync(new NodeCommand("truncate", "-s", size, path), ct);
    }

    public static async Task DeleteAsync(NodeExecutor node, string path, JsonObject? details, CancellationToken ct)
    {
        NameRules.Require(path, NameRules.IsSafeAbsolutePath, "target volume path");
        var layout = details?["layout"]?.GetValue<string>();
        var dataset = details?["dataset"]?.GetValue<string>();
        if (layout is "files" or "zvol" && dataset is not null)
        {
            // Gone already is success (undo runs twice); the driver retries while zfs says "busy".
            var zfs = new ZfsDriver(node);
            if (await zfs.ExistsAsync(NameRules.Require(dataset, NameRules.IsDatasetName, "target dataset"), ct))
                await zfs.DestroyAsync(dataset, recursive: true, ct);
            return;
        }
        await node.RunAsync(new NodeCommand("rm", "-f", "--", path), ct);
    }

    /// <summary>Copies a volume at the storage level (unused disks): the source node's <c>dd</c> piped into the target's, sparse.</summary>
    public static async Task<long> CopyAsync(NodeExecutor source, string sourcePath, NodeExecutor target, string targetPath, CancellationToken ct)
    {
        NameRules.Require(sourcePath, NameRules.IsSafeAbsolutePath, "source volume path");
        NameRules.Require(targetPath, NameRules.IsSafeAbsolutePath, "target volume path");
        var read = new NodeCommand("dd", $"if={sourcePath}", "bs=1M", "status=none");
        var write = new NodeCommand("dd", $"of={targetPath}", "bs=1M", "iflag=fullblock", "conv=sparse,notrunc,fsync", "status=none");
        var result = await new NodePipe().RunAsync(source, read, target, write, null, ct);
        return result.BytesTransferred;
    }
}
