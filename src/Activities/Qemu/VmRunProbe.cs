using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>Whether a VM's QEMU runs on a node.</summary>
public enum VmRunState
{
    /// <summary>No QEMU of the VM on the node (pid file dead or absent, no QMP socket that answers).</summary>
    Stopped,
    /// <summary>A QEMU of the VM runs there (its pid file names a live QEMU, or its QMP socket answers).</summary>
    Running,
}

/// <summary>The node could not be asked whether the VM runs there: never read as "stopped".</summary>
public sealed class VmProbeException(string node, string vmId, string reason, Exception? inner)
    : Exception($"Could not ask node '{node}' whether VM '{vmId}' runs there: {reason}. Make the node reachable and try again.", inner)
{
    public string Node { get; } = node;
}

/// <summary>
/// Decides whether a VM runs on a node before something overwrites its disks (a replication receive, an offline
/// migration). "Could not ask" is never "stopped": the node is first asked to run <c>true</c>, so a transport failure
/// (ssh down, node gone) throws <see cref="VmProbeException"/> instead of reading as an absent pid file. Then the pid
/// file + cmdline check of <see cref="QemuVmManager.StatusAsync"/>; then, should a QMP socket exist without a live pid
/// file, whether it answers (a QEMU started by other means).
/// </summary>
public sealed class VmRunProbe(SiteInventory inventory, ILogger? logger = null)
{
    private static readonly TimeSpan SocketProbeTimeout = TimeSpan.FromSeconds(3);
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<VmRunState> ProbeAsync(string nodeName, string vmId, CancellationToken cancellationToken)
    {
        var node = inventory.CreateExecutor(nodeName, _logger);
        try
        {
            await node.RunAsync(new NodeCommand("true"), cancellationToken).ConfigureAwait(false);
        }
        catch (NodeCommandException ex)
        {
            throw new VmProbeException(nodeName, vmId, $"{node.Transport.Describe()} failed (exit code {ex.ExitCode}): {ex.StandardError}", ex);
        }
        var status = await new QemuVmManager(inventory, _logger).StatusAsync(nodeName, vmId, cancellationToken).ConfigureAwait(false);
        if (status.ProcessAlive) return VmRunState.Running;
        var socket = await node.TryRunAsync(new NodeCommand("test", "-S", status.QmpSocket), cancellationToken).ConfigureAwait(false);
        if (!socket.Succeeded) return VmRunState.Stopped;
        try
        {
            var options = new QmpClientOptions { Name = $"{nodeName}/{vmId} probe", ConnectTimeout = SocketProbeTimeout };
            await using var qmp = await QmpConnector.ConnectAsync(inventory.GetNode(nodeName), status.QmpSocket, options, _logger, cancellationToken).ConfigureAwait(false);
            return VmRunState.Running;
        }
        catch (Exception ex) when (ex is QmpDisconnectedException or QmpException or IOException or TimeoutException)
        {
            // A socket file nobody listens on: left behind by a QEMU that exited without removing it.
            _logger.LogInformation("VM {Vm} on {Node}: QMP socket {Socket} does not answer ({Error}); stopped", vmId, nodeName, status.QmpSocket, ex.Message);
            return VmRunState.Stopped;
        }
    }
}
