using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>Where the VM runs, when a dry run does not say: every node of the site but the target is asked
/// (<see cref="VmRunProbe"/>); exactly one must run it. A node that cannot be asked is never taken for "not there".</summary>
internal static class SourceLocator
{
    public static async Task<string> FindAsync(SiteInventory inventory, string vmId, string target, CancellationToken ct)
    {
        var probe = new VmRunProbe(inventory);
        var nodes = inventory.Nodes.Where(n => n.Name != target).Select(n => n.Name).ToList();
        var answers = await Task.WhenAll(nodes.Select(async n =>
        {
            try
            {
                return (Node: n, Running: await probe.ProbeAsync(n, vmId, ct) == VmRunState.Running, Error: (string?)null);
            }
            catch (VmProbeException ex)
            {
                return (Node: n, Running: false, Error: ex.Message);
            }
        }));
        var running = answers.Where(a => a.Running).Select(a => a.Node).ToList();
        return running.Count switch
        {
            1 => running[0],
            > 1 => throw new InvalidOperationException($"VM {vmId} runs on {string.Join(" and ", running)}: stop the one that should not run, then plan again."),
            _ when answers.FirstOrDefault(a => a.Error is not null).Error is { } error =>
                throw new InvalidOperationException($"VM {vmId} was found on no node that answered, and {error}"),
            _ => throw new InvalidOperationException($"VM {vmId} runs on none of {string.Join(", ", nodes)}: start it, or give the node it is on (a stopped VM moves with workflows/offline-migrate.json)."),
        };
    }
}
