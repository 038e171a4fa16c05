using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// Creates and deletes the non-replicated volumes a migration makes on the target, per storage layout:
/// <c>files</c> a dataset with a sparse raw file, <c>zvol</c> a ZFS volume, <c>directory</c> a sparse file.
/// Refuses to overwrite. Every volume carries this migration's ownership mark (<see cref="Ownership"/>): the ZFS
/// property set by <c>zfs create -o</c>, or for a plain file its inode, recorded once created; delete removes only
/// a volume with that mark and is idempotent (undo runs safely twice).
/// </summary>
internal static class TargetVolumes
{
    /// <summary>Ledger details that let undo delete the volume.</summary>
    public static JsonObject Details(DiskPlan disk) => new() { ["disk"] = disk.DeviceId, ["layout"] = disk.TargetLayout, ["dataset"] = disk.TargetDataset };

    /// <summary>Creates the volume marked as <paramref name="owner"/>'s; returns the mark to confirm the ledger entry with.</summary>
    public static async Task<JsonObject> CreateAsync(NodeExecutor node, DiskPlan disk, string owner, CancellationToken ct)
    {
        var path = NameRules.Require(disk.TargetPath, NameRules.IsSafeAbsolutePath, "target volume path");
        if (disk.TargetLayout is "files" or "zvol")
        {
            var dataset = NameRules.Require(disk.TargetDataset, NameRules.IsDatasetName, "target dataset");
            var zfs = new ZfsDriver(node);
            if (await zfs.ExistsAsync(dataset, ct))
                throw new InvalidOperationException($"The target dataset {dataset} of disk {disk.DeviceId} already exists on {node.NodeName}: " +
                    "refusing to overwrite it. If it is a copy kept by an earlier migration, remove or rename it; if the disk is replicated, mark it so in the inventory.");
            var mark = new Dictionary<string, string> { [Ownership.ZfsProperty] = owner };
            // Exclusive create (no -p): if someone made the dataset since the check, this fails instead of adopting it.
            await zfs.CreateExclusiveAsync(dataset, mark, disk.TargetLayout == "zvol" ? disk.SizeBytes : null, ct);
            if (disk.TargetLayout == "files")
                await node.RunAsync(new NodeCommand("truncate", "-s", disk.SizeBytes.ToString(CultureInfo.InvariantCulture), path), ct);
            return new JsonObject { ["owner"] = owner };
        }
        if (await node.PathExistsAsync(path, ct))
            throw new InvalidOperationException($"The target volume {path} already exists on {node.NodeName}: refusing to overwrite it.");
        await node.RunAsync(new NodeCommand("truncate", "-s", disk.SizeBytes.ToString(CultureInfo.InvariantCulture), path), ct);
        return new JsonObject { ["inode"] = await InodeAsync(node, path, ct) };
    }

    /// <summary>Deletes the volume of a ledger entry when it carries <paramref name="owner"/>'s mark; says what it did.</summary>
    public static async Task<string> DeleteAsync(NodeExecutor node, string path, JsonObject? details, string owner, CancellationToken ct)
    {
        NameRules.Require(path, NameRules.IsSafeAbsolutePath, "target volume path");
        var layout = details?["layout"]?.GetValue<string>();
        var dataset = details?["dataset"]?.GetValue<string>();
        if (layout is "files" or "zvol" && dataset is not null)
        {
            var zfs = new ZfsDriver(node);
            var exists = await zfs.ExistsAsync(NameRules.Require(dataset, NameRules.IsDatasetName, "target dataset"), ct);
            var found = exists ? await zfs.GetUserPropertyAsync(dataset, Ownership.ZfsProperty, ct) : null;
            switch (Ownership.Decide(exists, found, owner))
            {
                case UndoVerdict.AlreadyGone:
                    return $"target volume {dataset} already gone";
                case UndoVerdict.NotOurs:
                    return $"kept {node.NodeName}:{dataset}: not created by this migration ({Ownership.ZfsProperty}={found ?? "not set"})";
            }
            await zfs.DestroyAsync(dataset, recursive: true, ct); // the driver retries while zfs says "busy"
            return $"deleted target volume {dataset} (created by this migration)";
        }
        var fileExists = await node.PathExistsAsync(path, ct);
        var inode = fileExists ? await InodeAsync(node, path, ct) : null;
        switch (Ownership.Decide(fileExists, inode, details?["inode"]?.GetValue<string>()))
        {
            case UndoVerdict.AlreadyGone:
                return $"target volume {path} already gone";
            case UndoVerdict.NotOurs:
                return $"kept {node.NodeName}:{path}: not the file this migration created (inode {inode}, recorded {details?["inode"]?.GetValue<string>() ?? "none: the create was never confirmed"})";
        }
        await node.RunAsync(new NodeCommand("rm", "-f", "--", path), ct);
        return $"deleted target volume {path} (created by this migration)";
    }

    private static async Task<string> InodeAsync(NodeExecutor node, string path, CancellationToken ct) =>
        (await node.RunAsync(new NodeCommand("stat", "-c", "%i", "--", path), ct)).StandardOutput.Trim();

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
