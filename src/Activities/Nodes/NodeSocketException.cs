namespace Elsa.Migration.Activities.Nodes;

/// <summary>Why a connection to a UNIX socket on a node failed or ended.</summary>
public enum NodeSocketFailure
{
    /// <summary>No socket file at the path (QEMU not running, or a wrong path).</summary>
    SocketNotFound,
    /// <summary>The socket file exists but nobody listens (a stale socket of a QEMU that exited), or it is busy.</summary>
    ConnectionRefused,
    /// <summary><c>socat</c> is not installed on the node.</summary>
    SocatMissing,
    /// <summary>ssh itself failed (host, port, key, known_hosts, sshd).</summary>
    TransportFailed,
    /// <summary>Anything else: the relay process failed or the connection broke.</summary>
    Failed,
}

/// <summary>
/// Connecting to, or talking through, a UNIX socket on a node failed. Derives from <see cref="IOException"/> so stream
/// consumers (QMP and guest-agent read loops) treat it as a broken connection. Carries the relay process, its exit
/// code and stderr when there was one (SSH nodes).
/// </summary>
public sealed class NodeSocketException : IOException
{
    public NodeSocketException(string node, string socketPath, NodeSocketFailure failure, string detail,
        ProcessSpec? process = null, int? exitCode = null, string standardError = "", Exception? inner = null)
        : base(BuildMessage(node, socketPath, failure, detail, process, exitCode, standardError), inner)
    {
        Node = node;
        SocketPath = socketPath;
        Failure = failure;
        Process = process;
        ExitCode = exitCode;
        StandardError = standardError;
    }

    /// <summary>Node the socket lives on.</summary>
    public string Node { get; }

    /// <summary>Path of the socket on that node.</summary>
    public string SocketPath { get; }

    /// <summary>What went wrong.</summary>
    public NodeSocketFailure Failure { get; }

    /// <summary>The local relay process (<c>ssh ... socat ...</c>); null for a direct local connection.</summary>
    public ProcessSpec? Process { get; }

    /// <summary>Exit code of the relay process, when it exited.</summary>
    public int? ExitCode { get; }

    /// <summary>The relay's stderr (socat notices removed), trimmed.</summary>
    public string StandardError { get; }

    /// <summary>True when waiting and connecting again may succeed (QEMU still starting).</summary>
    public bool IsRetryable => Failure is NodeSocketFailure.SocketNotFound or NodeSocketFailure.ConnectionRefused;

    private static string BuildMessage(string node, string path, NodeSocketFailure failure, string detail, ProcessSpec? process, int? exitCode, string stderr)
    {
        var what = failure switch
        {
            NodeSocketFailure.SocketNotFound => $"No UNIX socket '{path}' on node '{node}': is the VM's QEMU running there with this socket?",
            NodeSocketFailure.ConnectionRefused => $"UNIX socket '{path}' on node '{node}' refused the connection: a stale socket of a QEMU that exited, or another client holds it.",
            NodeSocketFailure.SocatMissing => $"'socat' is not installed on node '{node}' (needed to reach '{path}' over SSH): install it there (apt-get install socat).",
            NodeSocketFailure.TransportFailed => $"ssh to node '{node}' failed while connecting to '{path}': check the host, port, key, known_hosts entry and that sshd runs.",
            _ => $"Connection to UNIX socket '{path}' on node '{node}' failed.",
        };
        var text = what + (detail.Length > 0 ? " " + detail : "");
        if (process is not null) text += $"{Environment.NewLine}command: {process}";
        if (exitCode is { } code) text += $"{Environment.NewLine}exit code: {code}";
        if (stderr.Length > 0) text += $"{Environment.NewLine}stderr: {stderr}";
        return text;
    }
}
