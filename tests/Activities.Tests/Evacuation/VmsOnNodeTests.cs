using Elsa.Migration.Activities.Evacuation;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Tests.Evacuation;

/// <summary>"Could not ask" is never "not running": a node that cannot be asked fails the VM selection with the node and
/// the transport error, instead of reading as a node with no VM (which would evacuate nothing and report success).
/// The running case is covered with real QEMUs by the evacuation test in Host.Tests.</summary>
public sealed class VmsOnNodeTests
{
    [Fact(Timeout = 60_000)]
    public async Task FindAsync_WhenTheNodeCannotBeAsked_ShouldFailWithTheNodeAndTheTransportError()
    {
        TestTools.Require("ssh");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var dir = Path.Combine(Path.GetTempPath(), "vms-on-node-" + Guid.NewGuid().ToString("N")[..8]);
        var inventory = new SiteInventory
        {
            // Port 1 on loopback: nothing listens, ssh fails at once with "Connection refused" (exit 255).
            Nodes = [new NodeDefinition { Name = "node-x", QmpSocketDir = dir, Transport = new TransportDefinition
            {
                Kind = "ssh", Host = "127.0.0.1", Port = 1, User = "root", IdentityFile = dir + "/id", KnownHostsFile = dir + "/known_hosts",
            } }],
            Vms = [new VmDefinition { Id = "vm1" }, new VmDefinition { Id = "vm2" }],
        };

        var ex = await Assert.ThrowsAsync<VmProbeException>(() => VmsOnNode.FindAsync(inventory, "node-x", NullLogger.Instance, cts.Token));

        Assert.Equal("node-x", ex.Node);
        Assert.Contains("Could not ask node 'node-x'", ex.Message);
        Assert.Contains("Connection refused", ex.Message);
    }

    [Fact]
    public async Task FindAsync_ForANodeNotInTheInventory_ShouldSayWhichNodesThereAre()
    {
        var inventory = new SiteInventory { Nodes = [new NodeDefinition { Name = "node-a" }], Vms = [new VmDefinition { Id = "vm1" }] };

        var ex = await Assert.ThrowsAsync<InventoryException>(() => VmsOnNode.FindAsync(inventory, "node-z", NullLogger.Instance, CancellationToken.None));

        Assert.Contains("unknown node 'node-z'; known nodes: node-a", ex.Message);
    }
}
