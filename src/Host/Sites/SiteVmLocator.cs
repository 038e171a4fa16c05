using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Host.Sites;

/// <summary>Where a VM runs on one node: <c>running</c>, <c>stopped</c>, or <c>unknown</c> with why the node could not be asked.</summary>
public sealed record VmOnNode(string Node, string State, string? Error);

/// <summary>A VM of a site and where it runs now: <see cref="RunsOn"/> the node whose QEMU runs it (null when none does),
/// <see cref="State"/> <c>running</c>, <c>stopped</c> (every node answered: none runs it) or <c>unknown</c> (no node
/// said running and at least one could not be asked: never read as stopped).</summary>
public sealed record SiteVm(string Id, string? RunsOn, string State, IReadOnlyList<SiteVmDisk> Disks, IReadOnlyList<VmOnNode> Nodes);

/// <summary>A disk of a site's VM as the start form lists it.</summary>
public sealed record SiteVmDisk(string Id, string Kind, long SizeBytes);

/// <summary>
/// Asks every node of a site, through <see cref="VmRunProbe"/> (the same probe that guards replication and offline
/// migration), where each VM runs. Nodes are asked in parallel with a time limit each, so one node that hangs makes its
/// answers unknown instead of holding up the page.
/// </summary>
public sealed class SiteVmLocator(ILogger<SiteVmLocator> logger)
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<SiteVm>> LocateAsync(SiteInventory inventory, CancellationToken cancellationToken)
    {
        var probe = new VmRunProbe(inventory, logger);
        var vms = inventory.Vms.Select(async vm =>
        {
            var nodes = await Task.WhenAll(inventory.Nodes.Select(n => AskAsync(probe, n.Name, vm.Id, cancellationToken)));
            var running = nodes.FirstOrDefault(n => n.State == Running);
            var state = running is not null ? Running : nodes.Any(n => n.State == Unknown) ? Unknown : Stopped;
            return new SiteVm(vm.Id, running?.Node, state, [.. vm.Disks.Select(d => new SiteVmDisk(d.Id, d.Kind, d.SizeBytes))], nodes);
        });
        return await Task.WhenAll(vms);
    }

    private const string Running = "running", Stopped = "stopped", Unknown = "unknown";

    private async Task<VmOnNode> AskAsync(VmRunProbe probe, string node, string vmId, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(NodeTimeout);
        try
        {
            return await probe.ProbeAsync(node, vmId, limit.Token) == VmRunState.Running
                ? new VmOnNode(node, Running, null)
                : new VmOnNode(node, Stopped, null);
        }
        catch (VmProbeException ex)
        {
            return new VmOnNode(node, Unknown, ex.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new VmOnNode(node, Unknown, $"node '{node}' did not answer within {NodeTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Anything else the probe met (a QMP error, an I/O error reading the pid file) also leaves the answer open.
            logger.LogWarning(ex, "Could not ask {Node} whether VM {Vm} runs there", node, vmId);
            return new VmOnNode(node, Unknown, ex.Message);
        }
    }
}
