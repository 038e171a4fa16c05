using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.OfflineMigration;

/// <summary>The offline migration's one precondition, checked when it plans and again around the copy.</summary>
internal static class OfflineChecks
{
    /// <summary>
    /// The VM runs neither on the source (its disks would change under the copy) nor on the target (its disks there are
    /// live). A node that cannot be asked is refused with the node and the transport error (<see cref="VmProbeException"/>).
    /// </summary>
    public static async Task RequireStoppedAsync(MigrationPlan plan, CancellationToken ct)
    {
        // The plan's own node definitions: the copy step re-checks against the nodes it copies between.
        var probe = new VmRunProbe(plan.NodeInventory());
        if (await probe.ProbeAsync(plan.SourceNode, plan.VmId, ct) == VmRunState.Running)
            throw new InvalidOperationException($"VM {plan.VmId} runs on {plan.SourceNode}: an offline migration moves a stopped VM. " +
                "Stop it first (./elsa-migrate vm stop), or migrate it live (workflows/live-migrate.json).");
        if (await probe.ProbeAsync(plan.TargetNode, plan.VmId, ct) == VmRunState.Running)
            throw new InvalidOperationException($"VM {plan.VmId} runs on the target {plan.TargetNode}: its disks there are live. " +
                "Check where the VM really runs before moving it.");
    }
}
