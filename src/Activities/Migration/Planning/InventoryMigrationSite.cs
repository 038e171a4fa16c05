using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// <see cref="IMigrationSite"/> over a site's inventory: plans from the VM's profile and disks, node executors
/// from the nodes' transports. An <c>unused</c> disk counts as replicated when both sides are ZFS and already share a
/// snapshot (the replica exists), else as local (copied at the storage level).
/// </summary>
public sealed class InventoryMigrationSite(ILoggerFactory? loggers = null) : IMigrationSite
{
    private readonly ILogger _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<InventoryMigrationSite>();

    public async Task<MigrationPlan> CreatePlanAsync(SiteInventory inventory, string site, string vmId, string sourceNode, string targetNode, CancellationToken cancellationToken)
    {
        NameRules.Require(vmId, NameRules.IsVmId, "VM id");
        NameRules.Require(sourceNode, NameRules.IsNodeName, "source node name");
        NameRules.Require(targetNode, NameRules.IsNodeName, "target node name");
        var vm = inventory.GetVm(vmId);
        inventory.GetNode(sourceNode);
        inventory.GetNode(targetNode);
        var source = inventory.CreateExecutor(sourceNode, _logger);
        var target = inventory.CreateExecutor(targetNode, _logger);
        var sourcePaths = inventory.RuntimePaths(vmId, sourceNode);
        var targetPaths = inventory.RuntimePaths(vmId, targetNode);

        var endpoints = await ResolveEndpointsAsync(inventory.GetNode(sourceNode), inventory.GetNode(targetNode), target, vmId, cancellationToken);

        var cpuInfo = await target.RunAsync(new NodeCommand("cat", "/proc/cpuinfo"), cancellationToken);
        var command = QemuCommandLine.Build(inventory, targetNode, vmId, new QemuStartOptions { Incoming = true },
            QemuCommandLine.CpuInfoHasHardwareVirtualization(cpuInfo.StandardOutput));

        var disks = new List<DiskPlan>();
        foreach (var definition in vm.Disks)
            disks.Add(await DiskPlans.CreateAsync(inventory, vmId, definition, source, target, cancellationToken));
        return new MigrationPlan
        {
            VmId = vmId,
            SourceNode = sourceNode,
            TargetNode = targetNode,
            Site = site,
            SourceNodeDefinition = inventory.GetNode(sourceNode),
            TargetNodeDefinition = inventory.GetNode(targetNode),
            SourceQmpSocket = sourcePaths.QmpSocket,
            SourcePidFile = sourcePaths.PidFile,
            GuestAgentSocket = vm.Qemu.GuestAgent ? sourcePaths.GuestAgentSocket : null,
            TargetQmpSocket = targetPaths.QmpSocket,
            TargetPidFile = targetPaths.PidFile,
            TargetGuestAgentSocket = vm.Qemu.GuestAgent ? targetPaths.GuestAgentSocket : null,
            TargetSerialLog = vm.Qemu.SerialLog ? targetPaths.SerialLog : null,
            NbdSocket = targetPaths.NbdSocket,
            MigrationSocket = targetPaths.MigrationSocket,
            TargetTcpHost = (endpoints.NbdServer as InetSocketAddress)?.Host,
            NbdTcpPort = (endpoints.NbdServer as InetSocketAddress)?.Port ?? 0,
            MigrationTcpPort = endpoints.NbdServer is InetSocketAddress ? MigrationPort(endpoints.MigrationUri) : 0,
            QemuBinary = command.Program,
            TargetQemuArgs = command.Arguments,
            Disks = disks,
        };
    }

    /// <summary>
    /// NBD and migration endpoints (<see cref="MigrationEndpoints"/>): TCP on the target's <c>migrationAddress</c> on ports
    /// no process listens on there yet, or UNIX sockets when both nodes are this machine; refused (with what to
    /// configure) when the nodes are different machines and the target has no migration address.
    /// </summary>
    private static async Task<MigrationEndpointSet> ResolveEndpointsAsync(NodeDefinition source, NodeDefinition target, NodeExecutor targetNode, string vmId, CancellationToken ct)
    {
        var resolver = new MigrationEndpoints();
        var busy = target.MigrationAddress is null ? null : await MigrationEndpoints.ListeningTcpPortsAsync(targetNode, ct);
        try
        {
            return resolver.Resolve(source, target, vmId, busy);
        }
        catch (InvalidOperationException ex)
        {
            throw new InventoryException("plan", [ex.Message], ex);
        }
    }

    private static int MigrationPort(string uri) => int.Parse(uri[(uri.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
