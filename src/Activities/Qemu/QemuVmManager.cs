using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>A VM's QEMU process on a node as far as its pid file and QMP socket tell.</summary>
public sealed record VmProcessStatus(string VmId, string Node, int? Pid, bool ProcessAlive, string QmpSocket);

/// <summary>
/// Starts, inspects and stops a VM's QEMU on a node from the inventory profile. Process control goes through the
/// node's executor (so it works locally and over SSH). To talk QMP to the started VM on any node, use
/// <see cref="QmpConnector.ConnectVmAsync"/> (direct socket when local, ssh + socat otherwise).
/// </summary>
public sealed class QemuVmManager
{
    private readonly SiteInventory _inventory;
    private readonly ILogger _logger;

    public QemuVmManager(SiteInventory inventory, ILogger? logger = null)
    {
        _inventory = inventory;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Starts the VM's QEMU (daemonized) on the node; returns once its QMP socket accepts connections.</summary>
    public async Task<VmProcessStatus> StartAsync(string nodeName, string vmId, QemuStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new QemuStartOptions();
        var node = _inventory.CreateExecutor(nodeName, _logger);
        var status = await StatusAsync(nodeName, vmId, cancellationToken).ConfigureAwait(false);
        if (status.ProcessAlive)
            throw new InvalidOperationException($"VM '{vmId}' already runs on node '{nodeName}' (pid {status.Pid}); stop it first.");
        var paths = _inventory.RuntimePaths(vmId, nodeName);
        await node.RunAsync(new NodeCommand("mkdir", "-p", _inventory.GetNode(nodeName).QmpSocketDir), cancellationToken).ConfigureAwait(false);
        await node.RunAsync(new NodeCommand("rm", "-f", paths.QmpSocket, paths.PidFile), cancellationToken).ConfigureAwait(false);
        var cpuInfo = await node.RunAsync(new NodeCommand("cat", "/proc/cpuinfo"), cancellationToken).ConfigureAwait(false);
        var command = QemuCommandLine.Build(_inventory, nodeName, vmId, options, QemuCommandLine.CpuInfoHasHardwareVirtualization(cpuInfo.StandardOutput));
        // With -daemonize the launcher returns once QEMU is initialised; start-up errors arrive as its stderr and exit code.
        await node.RunAsync(command, cancellationToken).ConfigureAwait(false);
        status = await StatusAsync(nodeName, vmId, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Started VM {Vm} on {Node} (pid {Pid}, incoming {Incoming})", vmId, nodeName, status.Pid, options.Incoming);
        return status;
    }

    /// <summary>
    /// Reads the pid file and checks that the process is alive and is this VM's QEMU. Throws
    /// <see cref="NodeUnreachableException"/> when the node cannot be asked: unknown is not stopped.
    /// </summary>
    public async Task<VmProcessStatus> StatusAsync(string nodeName, string vmId, CancellationToken cancellationToken = default)
    {
        var node = _inventory.CreateExecutor(nodeName, _logger);
        var paths = _inventory.RuntimePaths(vmId, nodeName);
        var state = await QemuProcess.StatusAsync(node, paths.PidFile, cancellationToken).ConfigureAwait(false);
        return new VmProcessStatus(vmId, nodeName, state.Pid, state.Alive, paths.QmpSocket);
    }

    /// <summary>
    /// The VM's state on every other node of the inventory, where a start here would make a second QEMU on its disks:
    /// a <see cref="VmProcessStatus"/> per node that answered, the <see cref="NodeUnreachableException"/> of each that
    /// could not be asked.
    /// </summary>
    public async Task<(IReadOnlyList<VmProcessStatus> Answered, IReadOnlyList<NodeUnreachableException> Unknown)> ElsewhereAsync(
        string nodeName, string vmId, CancellationToken cancellationToken = default)
    {
        var answered = new List<VmProcessStatus>();
        var unknown = new List<NodeUnreachableException>();
        foreach (var other in _inventory.Nodes.Where(n => n.Name != nodeName))
        {
            try
            {
                answered.Add(await StatusAsync(other.Name, vmId, cancellationToken).ConfigureAwait(false));
            }
            catch (NodeUnreachableException ex)
            {
                unknown.Add(ex);
            }
        }
        return (answered, unknown);
    }

    /// <summary>
    /// Stops the VM's QEMU: SIGTERM (QEMU exits cleanly), then SIGKILL after <paramref name="gracePeriod"/>. Returns false
    /// when it was not running. Safe to call twice. Throws when the node cannot be asked or the process survives SIGKILL.
    /// </summary>
    public async Task<bool> StopAsync(string nodeName, string vmId, TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        var node = _inventory.CreateExecutor(nodeName, _logger);
        var paths = _inventory.RuntimePaths(vmId, nodeName);
        var (result, pid) = await QemuProcess.StopAsync(node, paths.PidFile, gracePeriod ?? TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case QemuStopResult.NotRunning:
                return false;
            case QemuStopResult.StillAlive:
                throw new InvalidOperationException($"VM '{vmId}' on node '{nodeName}' (pid {pid}) still runs after SIGKILL: check the process there (D state?).");
            case QemuStopResult.Killed:
                _logger.LogWarning("VM {Vm} on {Node} (pid {Pid}) ignored SIGTERM and was killed", vmId, nodeName, pid);
                break;
        }
        await node.RunAsync(new NodeCommand("rm", "-f", paths.QmpSocket, paths.PidFile), cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Stopped VM {Vm} on {Node} (pid {Pid})", vmId, nodeName, pid);
        return true;
    }
}
