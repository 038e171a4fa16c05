using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// Whether a node answers through its transport and has the programs the migration runs there, asked in one command
/// (one ssh start): <c>command -v</c> of each, in the node's own PATH as its transport gives it. A transport failure
/// throws <see cref="NodeUnreachableException"/> (the node and what failed), never "missing".
/// </summary>
internal static class NodeTools
{
    // Prints each program the node lacks, one a line; a fixed script, the names are its arguments.
    private const string Script = "for t; do command -v \"$t\" >/dev/null 2>&1 || echo \"$t\"; done";

    /// <summary>What the migration runs on node <paramref name="nodeName"/>: QEMU and qemu-img, zfs where the VM has ZFS disks,
    /// socat on a node reached over ssh (QMP and the guest agent are relayed through it), <c>ss</c> on a target that
    /// gets TCP endpoints (free ports are found with it), <c>dd</c> where an unused disk is copied.</summary>
    public static IReadOnlyList<string> Required(SiteInventory inventory, string vmId, string nodeName, bool isTarget)
    {
        var node = inventory.GetNode(nodeName);
        var disks = inventory.ResolveDisks(vmId, nodeName);
        var tools = new List<string> { "qemu-system-x86_64", "qemu-img" };
        if (disks.Any(d => d.IsZfs)) tools.Add("zfs");
        if (node.Transport.Kind == "ssh") tools.Add("socat");
        if (isTarget && node.MigrationAddress is not null) tools.Add("ss");
        if (disks.Any(d => d.Kind == DiskKind.Unused)) tools.Add("dd");
        return tools;
    }

    /// <summary>The programs of <paramref name="tools"/> the node does not have.</summary>
    public static async Task<IReadOnlyList<string>> MissingAsync(NodeExecutor node, IReadOnlyList<string> tools, CancellationToken ct)
    {
        var result = await node.AskAsync(new NodeCommand("sh", ["-c", Script, "sh", .. tools]), ct);
        if (!result.Succeeded)
            throw new InvalidOperationException($"Could not ask node '{node.NodeName}' ({node.Transport.Describe()}) which programs it has: " +
                $"sh exited {result.ExitCode}: {result.StandardError.Trim()}");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
