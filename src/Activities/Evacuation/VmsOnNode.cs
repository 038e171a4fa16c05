using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// The VMs of a site that run on a node now: each VM of the inventory is asked on that node through
/// <see cref="VmRunProbe"/> (its pid file, else whether its QMP socket answers). "Could not ask" is never "not running":
/// a node that cannot be asked throws <see cref="VmProbeException"/>, naming the node and the transport error.
/// </summary>
public static class VmsOnNode
{
    // A few questions at once: over SSH each one starts ssh processes, and a site may have many VMs.
    private const int ProbesAtOnce = 4;

    /// <summary>The ids of the VMs running on <paramref name="node"/>, in inventory order.</summary>
    public static async Task<IReadOnlyList<string>> FindAsync(SiteInventory inventory, string node, ILogger logger, CancellationToken cancellationToken)
    {
        inventory.GetNode(node); // an unknown node is refused with the inventory's message, before any VM is asked
        var probe = new VmRunProbe(inventory, logger);
        var running = new bool[inventory.Vms.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, inventory.Vms.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ProbesAtOnce, CancellationToken = cancellationToken },
            async (i, ct) => running[i] = await probe.ProbeAsync(node, inventory.Vms[i].Id, ct) == VmRunState.Running);
        return [.. inventory.Vms.Where((_, i) => running[i]).Select(v => v.Id)];
    }
}
