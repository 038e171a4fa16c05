namespace Elsa.Migration.Activities.Nodes;

/// <summary>A command on a node exited non-zero (or could not start). Carries the command, exit code and stderr.</summary>
public sealed class NodeCommandException : Exception
{
    public NodeCommandException(string node, NodeCommand command, ProcessSpec process, int exitCode, string standardError, Exception? inner = null)
        : base(BuildMessage(node, command, process, exitCode, standardError), inner)
    {
        Node = node;
        Command = command;
        Process = process;
        ExitCode = exitCode;
        StandardError = standardError;
    }

    /// <summary>Node the command ran on.</summary>
    public string Node { get; }

    /// <summary>The command as requested.</summary>
    public NodeCommand Command { get; }

    /// <summary>The local process that ran it (ssh ... for remote nodes).</summary>
    public ProcessSpec Process { get; }

    /// <summary>Exit code; -1 when the process could not start.</summary>
    public int ExitCode { get; }

    /// <summary>What the command wrote to stderr (trimmed).</summary>
    public string StandardError { get; }

    private static string BuildMessage(string node, NodeCommand command, ProcessSpec process, int exitCode, string stderr)
    {
        var hint = exitCode switch
        {
            -1 => " The program could not be started: is it installed and on PATH?",
            255 when process.FileName == "ssh" => " ssh itself failed (exit 255): check the host, port, key, known_hosts entry and that sshd runs.",
            127 => " Command not found on the node: install it there.",
            _ => "",
        };
        return $"Command on node '{node}' failed with exit code {exitCode}: {command}.{hint}" +
               (stderr.Length > 0 ? $"{Environment.NewLine}stderr: {stderr}" : "");
    }
}
