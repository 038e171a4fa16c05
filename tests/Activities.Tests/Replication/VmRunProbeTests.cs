using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>"Could not ask" is never "stopped": a node whose transport fails makes the probe throw with the node and the error.</summary>
public sealed class VmRunProbeTests
{
    [Fact(Timeout = 60_000)]
    public async Task ProbeAsync_WhenTheNodeCannotBeReached_ShouldThrowWithTheNodeAndTheTransportError()
    {
        TestTools.Require("ssh");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var dir = Path.Combine(Path.GetTempPath(), "probe-" + Guid.NewGuid().ToString("N")[..8]);
        var inventory = new SiteInventory
        {
            // Port 1 on loopback: nothing listens, ssh fails at once with "Connection refused" (exit 255).
            Nodes = [new NodeDefinition { Name = "node-x", QmpSocketDir = dir, Transport = new TransportDefinition
            {
                Kind = "ssh", Host = "127.0.0.1", Port = 1, User = "root", IdentityFile = dir + "/id", KnownHostsFile = dir + "/known_hosts",
            } }],
            Vms = [new VmDefinition { Id = "vm1" }],
        };

        var ex = await Assert.ThrowsAsync<VmProbeException>(() => new VmRunProbe(inventory).ProbeAsync("node-x", "vm1", cts.Token));

        Assert.Equal("node-x", ex.Node);
        Assert.Contains("ssh root@127.0.0.1:1", ex.Message);
        Assert.Contains("Connection refused", ex.Message);
    }
}
