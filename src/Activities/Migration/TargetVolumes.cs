using System.Globalization;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Creates and deletes the non-replicated volumes a migration makes on the target: a sparse raw file, or a zvol when
/// the path is <c>/dev/zvol/POOL/NAME</c>. Delete is idempotent (undo runs safely twice).
/// </summary>
internal static class TargetVolumes
{
    private const string ZvolPrefix = "/dev/zvol/";

    public static async Task CreateAsync(NodeExecutor node, string path, long sizeBytes, CancellationToken ct)
    {
        NameRules.Require(path, NameRules.IsSafeAbsolutePath, "target volume path");
        var size = sizeBytes.ToString(CultureInfo.InvariantCulture);
        if (path.StartsWith(ZvolPrefix, StringComparison.Ordinal))
        {
            await node.RunAsync(new NodeCommand("zfs", "create", "-V", size, Zvol(path)), ct);
            return;
        }
        var exists = await node.TryRunAsync(new NodeCommand("test", "-e", path), ct);
        if (exists.Succeeded)
            throw new InvalidOperationException($"The target volume {path} already exists on {node.NodeName}: refusing to overwrite it. Remove it or fix the inventory.");
        await node.RunAsync(new NodeCommand("truncate", "-s", size, path), ct);
    }

    public static async Task DeleteAsync(NodeExecutor node, string path, CancellationToken ct)
    {
        NameRules.Require(path, NameRules.IsSafeAbsolutePath, "target volume path");
        if (path.StartsWith(ZvolPrefix, StringComparison.Ordinal))
        {
            var r = await node.TryRunAsync(new NodeCommand("zfs", "destroy", Zvol(path)), ct);
            if (!r.Succeeded && !r.StandardError.Contains("does not exist", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"Cannot destroy zvol {path} on {node.NodeName}: {r.StandardError.Trim()}");
            return;
        }
        await node.RunAsync(new NodeCommand("rm", "-f", "--", path), ct);
    }

    /// <summary>Copies a volume at the storage level (unused disks): source node's <c>dd</c> piped into the target's, sparse.</summary>
    public static async Task<long> CopyAsync(NodeExecutor source, string sourcePath, NodeExecutor target, string targetPath, CancellationToken ct)
    {
        NameRules.Require(sourcePath, NameRules.IsSafeAbsolutePath, "source volume path");
        NameRules.Require(targetPath, NameRules.IsSafeAbsolutePath, "target volume path");
        var read = new NodeCommand("dd", $"if={sourcePath}", "bs=1M", "status=none");
        var write = new NodeCommand("dd", $"of={targetPath}", "bs=1M", "iflag=fullblock", "conv=sparse,notrunc,fsync", "status=none");
        var result = await new NodePipe().RunAsync(source, read, target, write, null, ct);
        return result.BytesTransferred;
    }

    private static string Zvol(string path) =>
        NameRules.Require(path[ZvolPrefix.Length..], NameRules.IsDatasetName, "zvol dataset");
}
