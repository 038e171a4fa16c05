namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// Questions to a node whose "no" is an answer (<c>test -e</c>, <c>cat</c> of a pid file, <c>kill -0</c>): any exit code
/// of the command itself is returned, but a failed transport throws <see cref="NodeUnreachableException"/>, so "could not
/// ask" is never mistaken for "absent" or "stopped".
/// </summary>
public static class NodeQuery
{
    /// <summary>What OpenSSH exits with when it failed itself (the remote commands asked through it never exit 255).</summary>
    public const int SshFailedExitCode = 255;

    /// <summary>Runs <paramref name="command"/>; the result whatever its exit code, unless the node could not be reached.</summary>
    public static async Task<NodeCommandResult> AskAsync(this NodeExecutor node, NodeCommand command, CancellationToken cancellationToken)
    {
        var result = await node.TryRunAsync(command, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == SshFailedExitCode && node.Transport is SshTransport)
        {
            var error = result.StandardError.Trim();
            throw new NodeUnreachableException(node.NodeName, node.Transport.Describe(), command,
                $"ssh exited {SshFailedExitCode}{(error.Length > 0 ? ": " + error : "")}");
        }
        return result;
    }
}
