using System.Globalization;
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

    /// <summary>Reads the pid file and checks that the process is alive and is this VM's QEMU.</summary>
    public async Task<VmProcessStatus> StatusAsync(string nodeName, string vmId, CancellationToken cancellationToken = default)
    {
        var node = _inventory.CreateExecutor(nodeName, _logger);
        var paths = _inventory.RuntimePaths(vmId, nodeName);
        var pid = await ReadPidAsync(node, paths.PidFile, cancellationToken).ConfigureAwait(false);
        var alive = pid is not null && await IsOurQemuAsync(node, pid.Value, paths.PidFile, cancellationToken).ConfigureAwait(false);
        return new VmProcessStatus(vmId, nodeName, pid, alive, paths.QmpSocket);
    }

    /// <summary>
    /// Stops the VM's QEMU: SIGTERM (QEMU exits cleanly), then SIGKILL after <paramref name="gracePeriod"/>. Returns false
    /// when it was not running. Safe to call twice.
    /// </summary>
    public async Task<bool> StopAsync(string nodeName, string vmId, TimeSpan? gracePeriod = null, CancellationToken cancellationToken = default)
    {
        var node = _inventory.CreateExecutor(nodeName, _logger);
        var status = await StatusAsync(nodeName, vmId, cancellationToken).ConfigureAwait(false);
        if (!status.ProcessAlive || status.Pid is not { } pid) return false;
        var pidText = pid.ToString(CultureInfo.InvariantCulture);
        await node.TryRunAsync(new NodeCommand("kill", "-TERM", pidText), cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + (gracePeriod ?? TimeSpan.FromSeconds(5));
        // Teardown, not guest downtime: a short poll on the process is fine here.
        while (DateTime.UtcNow < deadline && await IsAliveAsync(node, pidText, cancellationToken).ConfigureAwait(false))
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        if (await IsAliveAsync(node, pidText, cancellationToken).ConfigureAwait(false))
        {
            _logger.LogWarning("VM {Vm} on {Node} (pid {Pid}) ignored SIGTERM; killing it", vmId, nodeName, pid);
            await node.TryRunAsync(new NodeCommand("kill", "-KILL", pidText), cancellationToken).ConfigureAwait(false);
        }
        var paths = _inventory.RuntimePaths(vmId, nodeName);
        await node.TryRunAsync(new NodeCommand("rm", "-f", paths.QmpSocket, paths.PidFile), cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Stopped VM {Vm} on {Node} (pid {Pid})", vmId, nodeName, pid);
        return true;
    }

    private static async Task<int?> ReadPidAsync(NodeExecutor node, string pidFile, CancellationToken cancellationToken)
    {
        var result = await node.TryRunAsync(new NodeCommand("cat", pidFile), cancellationToken).ConfigureAwait(false);
        return result.Succeeded && int.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static async Task<bool> IsAliveAsync(NodeExecutor node, string pid, CancellationToken cancellationToken) =>
        (await node.TryRunAsync(new NodeCommand("kill", "-0", pid), cancellationToken).ConfigureAwait(false)).Succeeded;

    // A stale pid file may name a recycled pid: only a QEMU started with this pid file counts.
    private static async Task<bool> IsOurQemuAsync(NodeExecutor node, int pid, string pidFile, CancellationToken cancellationToken)
    {
        var result = await node.TryRunAsync(new NodeCommand("cat", $"/proc/{pid}/cmdline"), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) return false;
        var argv = result.StandardOutput.Split('\0');
        return argv.Length > 0 && argv[0].Contains("qemu-system", StringComparison.Ordinal) && argv.Contains(pidFile);
    }
}
