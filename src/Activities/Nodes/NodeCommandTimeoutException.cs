namespace Elsa.Migration.Activities.Nodes;

/// <summary>A command on a node did not end within its time limit; it was killed (with every process it started).</summary>
public sealed class NodeCommandTimeoutException : TimeoutException
{
    public NodeCommandTimeoutException(string node, NodeCommand command, TimeSpan timeout, string waitedFor, Exception? inner = null)
        : base($"Command on node '{node}' did not finish within {timeout.TotalSeconds:0.#} s: {command}. Waited for {waitedFor}; " +
               "the command was killed. Check the node for what blocks it (a hung daemon, a full pool, a lost ssh connection) and run the step again.", inner)
    {
        Node = node;
        Command = command;
        Timeout = timeout;
        WaitedFor = waitedFor;
    }

    /// <summary>Node the command ran on.</summary>
    public string Node { get; }

    /// <summary>The command that did not finish.</summary>
    public NodeCommand Command { get; }

    /// <summary>How long it was given.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>What the caller was waiting for, in operator words.</summary>
    public string WaitedFor { get; }
}
