namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// File tests on a node that never mistake "could not ask" for "absent": <c>test</c> exits 0 (yes) or 1 (no); any
/// other exit (ssh's 255, a missing shell tool) is a failure to ask and throws with the node and the transport's error.
/// </summary>
public static class NodeFileChecks
{
    /// <summary><c>test -e path</c>: anything exists at <paramref name="path"/>.</summary>
    public static Task<bool> PathExistsAsync(this NodeExecutor node, string path, CancellationToken cancellationToken = default) =>
        TestAsync(node, "-e", path, cancellationToken);

    /// <summary><c>test -S path</c>: a UNIX socket exists at <paramref name="path"/>.</summary>
    public static Task<bool> SocketExistsAsync(this NodeExecutor node, string path, CancellationToken cancellationToken = default) =>
        TestAsync(node, "-S", path, cancellationToken);

    private static async Task<bool> TestAsync(NodeExecutor node, string flag, string path, CancellationToken cancellationToken)
    {
        NameRules.Require(path, NameRules.IsSafeAbsolutePath, "path");
        var command = new NodeCommand("test", flag, path);
        var result = await node.AskAsync(command, cancellationToken).ConfigureAwait(false); // ssh failing throws NodeUnreachableException
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new NodeCommandException(node.NodeName, command, node.Transport.Prepare(command), result.ExitCode,
                $"could not ask {node.NodeName} ({node.Transport.Describe()}) whether {path} exists: {result.StandardError.Trim()}"),
        };
    }
}
