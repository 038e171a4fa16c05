using System.Globalization;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>How a node's commands are started from here: directly, or through SSH.</summary>
public interface INodeTransport
{
    /// <summary>The local process that runs <paramref name="command"/> on the node.</summary>
    ProcessSpec Prepare(NodeCommand command);

    /// <summary>A short description for logs and errors, e.g. <c>local</c> or <c>ssh root@10.0.0.2:22</c>.</summary>
    string Describe();
}

/// <summary>Runs commands on this machine.</summary>
public sealed class LocalTransport : INodeTransport
{
    /// <inheritdoc />
    public ProcessSpec Prepare(NodeCommand command) => new(command.Program, command.Arguments);

    /// <inheritdoc />
    public string Describe() => "local";
}

/// <summary>Where and how to reach a node over SSH. Key authentication only, host keys checked against <see cref="KnownHostsFile"/>.</summary>
public sealed record SshEndpoint(string Host, int Port, string User, string IdentityFile, string KnownHostsFile)
{
    /// <summary>Connection timeout passed to ssh (<c>ConnectTimeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with the endpoint (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!NameRules.IsHost(Host)) problems.Add($"host '{Host}' is not a valid host name or address");
        if (Port is < 1 or > 65535) problems.Add($"port {Port} is out of range 1-65535");
        if (!NameRules.IsUserName(User)) problems.Add($"user '{User}' is not a valid user name");
        if (!NameRules.IsSafeAbsolutePath(IdentityFile)) problems.Add($"identity file '{IdentityFile}' must be a safe absolute path");
        if (!NameRules.IsSafeAbsolutePath(KnownHostsFile)) problems.Add($"known_hosts file '{KnownHostsFile}' must be a safe absolute path");
        return problems;
    }
}

/// <summary>
/// Runs commands on another node with the OpenSSH client: BatchMode (never prompts), StrictHostKeyChecking=yes with
/// the given known_hosts file, the given identity only. ssh joins the remote argv with spaces and hands it to the
/// remote shell, so every argument is POSIX-quoted here.
/// </summary>
public sealed class SshTransport : INodeTransport
{
    private readonly SshEndpoint _endpoint;

    public SshTransport(SshEndpoint endpoint)
    {
        var problems = endpoint.Validate();
        if (problems.Count > 0) throw new ArgumentException("Invalid SSH endpoint: " + string.Join("; ", problems), nameof(endpoint));
        _endpoint = endpoint;
    }

    /// <inheritdoc />
    public ProcessSpec Prepare(NodeCommand command)
    {
        var args = new List<string>
        {
            "-T",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + _endpoint.KnownHostsFile,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "IdentitiesOnly=yes",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=" + ((int)Math.Ceiling(_endpoint.ConnectTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            "-i", _endpoint.IdentityFile,
            "-p", _endpoint.Port.ToString(CultureInfo.InvariantCulture),
            "-l", _endpoint.User,
            "--",
            _endpoint.Host,
            ShellQuoting.Quote(command.Program),
        };
        args.AddRange(command.Arguments.Select(ShellQuoting.Quote));
        return new ProcessSpec("ssh", args);
    }

    /// <inheritdoc />
    public string Describe() => $"ssh {_endpoint.User}@{_endpoint.Host}:{_endpoint.Port}";
}
