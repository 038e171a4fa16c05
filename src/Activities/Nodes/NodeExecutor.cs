using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>Output of a finished command.</summary>
public sealed record NodeCommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    /// <summary>True for exit code 0.</summary>
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs commands on one node through its transport (local or SSH). Cancellation kills the process; so does
/// <see cref="CommandTimeout"/> when set (e.g. for rollback steps, which must not wait without end).
/// </summary>
public sealed class NodeExecutor
{
    // CliWrap kills on cancellation and then waits for the output pipes: bound that too (a grandchild may hold them).
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);
    private readonly ILogger _logger;

    public NodeExecutor(string nodeName, INodeTransport transport, ILogger? logger = null)
    {
        NodeName = NameRules.Require(nodeName, NameRules.IsNodeName, "node name");
        Transport = transport;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A node that runs commands on this machine.</summary>
    public static NodeExecutor Local(string nodeName, ILogger? logger = null) => new(nodeName, new LocalTransport(), logger);

    /// <summary>Name of the node (from the inventory).</summary>
    public string NodeName { get; }

    /// <summary>How commands reach the node.</summary>
    public INodeTransport Transport { get; }

    /// <summary>
    /// Longest a command may run; then it is killed (with its process tree; over SSH the ssh client) and
    /// <see cref="NodeCommandTimeoutException"/> is thrown. Null: no limit.
    /// </summary>
    public TimeSpan? CommandTimeout { get; init; }

    /// <summary>The same node with every command limited to <paramref name="timeout"/>.</summary>
    public NodeExecutor WithCommandTimeout(TimeSpan timeout) => new(NodeName, Transport, _logger) { CommandTimeout = timeout };

    /// <summary>Runs the command and returns its output; throws <see cref="NodeCommandException"/> on a non-zero exit.</summary>
    public async Task<NodeCommandResult> RunAsync(NodeCommand command, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(command, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeCommandException(NodeName, command, Transport.Prepare(command), result.ExitCode, result.StandardError.Trim());
        return result;
    }

    /// <summary>Runs the command and returns its output and exit code whatever it is (throws only if it cannot start).</summary>
    public async Task<NodeCommandResult> TryRunAsync(NodeCommand command, CancellationToken cancellationToken = default)
    {
        var spec = Transport.Prepare(command);
        var started = Stopwatch.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (CommandTimeout is { } timeout) limit.CancelAfter(timeout);
        BufferedCommandResult result;
        try
        {
            var run = Cli.Wrap(spec.FileName)
                .WithArguments(spec.Arguments)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(limit.Token)
                .Task;
            result = await (CommandTimeout is { } t ? run.WaitAsync(t + KillGrace, cancellationToken) : run).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeCommandException(NodeName, command, spec, -1, ex.Message, ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested && CommandTimeout is { } t)
        {
            throw new NodeCommandTimeoutException(NodeName, command, t, "the command to exit", ex);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        _logger.LogDebug("Node {Node}: {Command} exited {ExitCode} in {Ms} ms", NodeName, command.ToString(), result.ExitCode, (long)elapsed.TotalMilliseconds);
        return new NodeCommandResult(result.ExitCode, result.StandardOutput, result.StandardError, elapsed);
    }
}
