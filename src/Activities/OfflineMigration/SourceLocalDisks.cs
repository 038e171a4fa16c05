using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>
/// The source's copy of a local (non-replicated) disk once the VM's disks are on the target: removed, or kept under a
/// name carrying the instance id so that it never blocks a later migration back (a volume under the disk's own name
/// on the target of a migration is refused as "already exists"). Replicated disks never come here: their dataset and
/// the common snapshot stay on both sides as the replication base.
/// </summary>
internal static class SourceLocalDisks
{
    /// <summary>Destroys the source volume (dataset with its snapshots, or the file). Gone already is success.</summary>
    public static async Task<string> RemoveAsync(NodeExecutor node, DiskPlan disk, CancellationToken ct)
    {
        if (disk.SourceDataset is { } dataset)
        {
            var zfs = new ZfsDriver(node);
            if (!await zfs.ExistsAsync(dataset, ct)) return $"{node.NodeName}:{dataset} was already gone";
            await zfs.DestroyAsync(dataset, recursive: true, ct);
            return $"destroyed {node.NodeName}:{dataset}";
        }
        await node.RunAsync(new NodeCommand("rm", "-f", "--", NameRules.Require(disk.SourcePath, NameRules.IsSafeAbsolutePath, "source volume path")), ct);
        return $"removed {node.NodeName}:{disk.SourcePath}";
    }

    /// <summary>Renames the source volume to <c>NAME-kept-ID</c> (<paramref name="instanceId"/>'s first 12 characters).</summary>
    public static async Task<string> KeepAsync(NodeExecutor node, DiskPlan disk, string instanceId, CancellationToken ct)
    {
        var suffix = "-kept-" + new string(instanceId.Where(char.IsAsciiLetterOrDigit).Take(12).ToArray());
        if (disk.SourceDataset is { } dataset)
        {
            var kept = NameRules.Require(dataset + suffix, NameRules.IsDatasetName, "kept dataset name");
            var zfs = new ZfsDriver(node);
            if (!await zfs.ExistsAsync(dataset, ct)) return $"{node.NodeName}:{dataset} was already gone or kept";
            var mounted = !disk.SourcePath.StartsWith("/dev/zvol/", StringComparison.Ordinal);
            // zfs-fuse refuses to rename a mounted dataset ("busy"): unmount it through its mountpoint, rename, inherit it back.
            if (mounted) await zfs.SetPropertyAsync(dataset, "mountpoint", "none", ct);
            await node.RunAsync(new NodeCommand("zfs", "rename", dataset, kept), ct);
            if (mounted) await node.RunAsync(new NodeCommand("zfs", "inherit", "mountpoint", kept), ct);
            return $"kept {node.NodeName}:{dataset} as {kept}";
        }
        var path = NameRules.Require(disk.SourcePath, NameRules.IsSafeAbsolutePath, "source volume path");
        var target = NameRules.Require(path + suffix, NameRules.IsSafeAbsolutePath, "kept file path");
        await node.RunAsync(new NodeCommand("mv", "-n", "--", path, target), ct);
        return $"kept {node.NodeName}:{path} as {target}";
    }
}
