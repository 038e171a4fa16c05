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
        var plan = await CreateStoragePlanAsync(inventory, site, vmId, sourceNode, targetNode, _logger, cancellationToken);
        var vm = inventory.GetVm(vmId);
        var target = inventory.CreateExecutor(targetNode, _logger);
        var sourcePaths = inventory.RuntimePaths(vmId, sourceNode);
        var targetPaths = inventory.RuntimePaths(vmId, targetNode);
        var endpoints = await ResolveEndpointsAsync(plan.SourceNodeDefinition, plan.TargetNodeDefinition, target, vmId, cancellationToken);
        var cpuInfo = await target.RunAsync(new NodeCommand("cat", "/proc/cpuinfo"), cancellationToken);
        var command = QemuCommandLine.Build(inventory, targetNode, vmId, new QemuStartOptions { Incoming = true },
            QemuCommandLine.CpuInfoHasHardwareVirtualization(cpuInfo.StandardOutput));
        return plan with
        {
            GuestAgentSocket = vm.Qemu.GuestAgent ? sourcePaths.GuestAgentSocket : null,
            TargetGuestAgentSocket = vm.Qemu.GuestAgent ? targetPaths.GuestAgentSocket : null,
            TargetSerialLog = vm.Qemu.SerialLog ? targetPaths.SerialLog : null,
            TargetTcpHost = (endpoints.NbdServer as InetSocketAddress)?.Host,
            NbdTcpPort = (endpoints.NbdServer as InetSocketAddress)?.Port ?? 0,
            MigrationTcpPort = endpoints.NbdServer is InetSocketAddress ? MigrationPort(endpoints.MigrationUri) : 0,
            QemuBinary = command.Program,
            TargetQemuArgs = command.Arguments,
        };
    }

    /// <summary>
    /// The part of a plan that needs no QEMU (offline migration uses it alone): the names checked, the VM and both
    /// nodes from the inventory, the runtime paths, and every disk with how it moves (<see cref="DiskPlans"/>).
    /// </summary>
    public static async Task<MigrationPlan> CreateStoragePlanAsync(SiteInventory inventory, string site, string vmId, string sourceNode, string targetNode,
        ILogger? logger, CancellationToken cancellationToken)
    {
        NameRules.Require(vmId, NameRules.IsVmId, "VM id");
        NameRules.Require(sourceNode, NameRules.IsNodeName, "source node name");
        NameRules.Require(targetNode, NameRules.IsNodeName, "target node name");
        if (sourceNode == targetNode) throw new ArgumentException($"SourceNode and TargetNode are both '{sourceNode}': choose a different target node.");
        var vm = inventory.GetVm(vmId);
        var sourceDefinition = inventory.GetNode(sourceNode);
        var targetDefinition = inventory.GetNode(targetNode);
        var source = inventory.CreateExecutor(sourceNode, logger);
        var target = inventory.CreateExecutor(targetNode, logger);
        var sourcePaths = inventory.RuntimePaths(vmId, sourceNode);
        var targetPaths = inventory.RuntimePaths(vmId, targetNode);
        var disks = new List<DiskPlan>();
        foreach (var definition in vm.Disks)
            disks.Add(await DiskPlans.CreateAsync(inventory, vmId, definition, source, target, cancellationToken));
        return new MigrationPlan
        {
            VmId = vmId,
            SourceNode = sourceNode,
            TargetNode = targetNode,
            Site = site,
            SourceNodeDefinition = sourceDefinition,
            TargetNodeDefinition = targetDefinition,
            SourceQmpSocket = sourcePaths.QmpSocket,
            SourcePidFile = sourcePaths.PidFile,
            TargetQmpSocket = targetPaths.QmpSocket,
            TargetPidFile = targetPaths.PidFile,
            NbdSocket = targetPaths.NbdSocket,
            MigrationSocket = targetPaths.MigrationSocket,
            TargetQemuArgs = [],
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
        var busy = target.MigrationAddress is null ? null : await MigrationEndpoints.TcpPortsInUseAsync(targetNode, ct);
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
