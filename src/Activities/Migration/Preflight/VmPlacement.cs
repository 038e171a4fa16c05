using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// The VM runs on the source (its pid file names a live QEMU of this VM, and that QEMU answers QMP running or paused,
/// with every attached disk of the plan as a block node) and not on the target. GetDiskInfo shares the QMP half.
/// </summary>
internal static class VmPlacement
{
    /// <summary>The source QEMU from its pid file; refused (with what to do) when it does not run there.</summary>
    public static async Task RequireSourceProcessAsync(MigrationPlan plan, NodeExecutor source, CancellationToken ct)
    {
        if (plan.SourcePidFile is not { } pidFile) return;
        var process = await QemuProcess.StatusAsync(source, pidFile, ct);
        if (!process.Alive)
            throw new InvalidOperationException($"VM {plan.VmId} does not run on {plan.SourceNode}: " +
                (process.Pid is { } pid ? $"its pid file {pidFile} names {pid}, which is not its QEMU" : $"no pid file {pidFile}") +
                ". Start it there, give the node it runs on, or move it stopped with workflows/offline-migrate.json.");
    }

    /// <summary>The running QEMU is the truth for attached disks: it must be running or paused and have every attached disk of the plan, by node-name.</summary>
    public static async Task RequireSourceQemuAsync(MigrationPlan plan, QmpClient qmp, CancellationToken ct)
    {
        var status = await qmp.QueryStatusAsync(ct);
        if (status.Status is not (RunState.Running or RunState.Paused))
            throw new InvalidOperationException($"VM {plan.VmId} on {plan.SourceNode} is '{status.Status}', not running: start it or migrate it offline.");
        var nodes = (await qmp.QueryNamedBlockNodesAsync(ct)).Select(n => n.NodeName).ToHashSet();
        foreach (var disk in plan.AttachedDisks)
            if (!nodes.Contains(disk.NodeName))
                throw new InvalidOperationException(
                    $"Disk {disk.DeviceId} of VM {plan.VmId}: the running QEMU has no block node '{disk.NodeName}'. Fix the inventory's node-name for this disk.");
    }

    /// <summary>Refused when a QEMU of the VM runs on the target (its pid file, or a QMP socket that answers); a target that cannot be asked is refused too.</summary>
    public static async Task RequireNotOnTargetAsync(MigrationPlan plan, CancellationToken ct)
    {
        if (await new VmRunProbe(plan.NodeInventory()).ProbeAsync(plan.TargetNode, plan.VmId, ct) == VmRunState.Running)
            throw new InvalidOperationException($"VM {plan.VmId} already runs on the target {plan.TargetNode}: two QEMUs must never use one VM's disks. " +
                "Stop the one that should not run, or choose another target.");
    }
}
