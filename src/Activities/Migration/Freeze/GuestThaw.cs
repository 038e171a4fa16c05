using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Steps;

namespace Elsa.Migration.Activities.Migration.Freeze;

/// <summary>Thawing, shared by ThawGuest, the watchdog and Rollback. Idempotent: thawing a running guest does nothing.</summary>
internal static class GuestThaw
{
    public static async Task<bool> ThawAsync(QmpSession qmp, NodeExecutor node, string? agentSocket, FreezeMode mode, CancellationToken ct)
    {
        if (mode == FreezeMode.Pause)
        {
            var status = await qmp.Client.QueryStatusAsync(ct);
            // Only a plain pause is ours to undo; a VM in migration states is handled by the migration undo.
            if (status.Status != RunState.Paused) return false;
            await qmp.Client.ContAsync(ct);
            return true;
        }
        await using var agent = Agent(node, RequireAgent(agentSocket));
        await agent.SyncAsync(ct);
        if (await agent.GetFreezeStatusAsync(AgentTimeout, ct) != GuestFsFreezeStatus.Frozen) return false;
        await agent.ThawAsync(AgentTimeout, ct);
        return true;
    }

    /// <summary>Freezes the guest (Agent: fsfreeze through the guest agent; Pause: <c>stop</c>).</summary>
    public static async Task<string> FreezeAsync(QmpSession qmp, NodeExecutor node, string? agentSocket, FreezeMode mode, CancellationToken ct)
    {
        if (mode == FreezeMode.Pause)
        {
            await qmp.Client.StopAsync(ct);
            return "vCPUs stopped";
        }
        await using var agent = Agent(node, RequireAgent(agentSocket));
        await agent.SyncAsync(ct);
        var frozen = await agent.FreezeAsync(AgentTimeout, ct);
        return $"{frozen} guest filesystems frozen";
    }

    /// <summary>fsfreeze waits for the guest to flush: give it time, but not forever.</summary>
    private static readonly TimeSpan AgentTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The agent's chardev socket on the VM's node: opened directly on a local node, through ssh + socat otherwise.</summary>
    private static GuestAgentClient Agent(NodeExecutor node, string socket) => node.Transport is LocalTransport
        ? GuestAgentClient.ForUnixSocket(socket)
        : new GuestAgentClient(ct => NodeSocketConnector.For(node).ConnectAsync(socket, ct), $"{node.NodeName}:{socket}");

    private static string RequireAgent(string? socket) => socket ?? throw new InvalidOperationException(
        "Mode Agent needs a guest agent: enable guestAgent in the VM's QEMU profile (inventory), or use Mode Pause.");
}
