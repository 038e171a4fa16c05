using System.Net;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// The plan's NBD and migration endpoints can be reached by name: a <c>migrationAddress</c> given as a host name must
/// resolve on the source node (which connects to it; <c>getent hosts</c>). Free ports were chosen by the planner
/// (<see cref="Qemu.MigrationEndpoints"/>, from <c>ss</c> on the target); UNIX sockets need nothing.
/// </summary>
internal static class EndpointCheck
{
    public static async Task ResolvableAsync(MigrationPlan plan, NodeExecutor source, CancellationToken ct)
    {
        if (plan.TargetTcpHost is not { } host || IPAddress.TryParse(host, out _)) return;
        var result = await source.AskAsync(new NodeCommand("getent", "hosts", host), ct);
        if (!result.Succeeded)
            throw new InvalidOperationException($"The target's migrationAddress '{host}' does not resolve on the source {plan.SourceNode} (getent hosts exited {result.ExitCode}): " +
                "give an address, or a name the source node resolves.");
    }
}
