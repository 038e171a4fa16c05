using System.Net;
using System.Net.Sockets;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Where a migration plan sends NBD and the RAM stream: from the inventory's transports and <c>migrationAddress</c>
/// (through <c>MigrationEndpoints</c>), with ports that nothing on the target listens on (real <c>ss</c>, a real listener).
/// </summary>
public sealed class MigrationEndpointPlanTests : IDisposable
{
    private readonly string _dir = TestTools.CreateTempDir("elsa-plan");

    [Fact(Timeout = 30_000)]
    public async Task CreatePlan_WhenTheTargetIsReachedOverSshWithoutMigrationAddress_ShouldRefuseNamingTheNodeToConfigure()
    {
        var inventory = await WriteInventoryAsync(target: n => n with
        {
            Transport = new TransportDefinition
            {
                Kind = "ssh",
                Host = "192.0.2.1",
                User = "root",
                IdentityFile = "/etc/elsa/id",
                KnownHostsFile = "/etc/elsa/known_hosts",
            },
        });

        var ex = await Assert.ThrowsAsync<InventoryException>(() =>
            new InventoryMigrationSite().CreatePlanAsync(inventory, "main", "vm1", "node-a", "node-b", CancellationToken.None));

        Assert.Contains("set \"migrationAddress\" of node 'node-b'", ex.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task CreatePlan_WhenBothNodesAreLocalWithoutAddress_ShouldUseTheTargetsUnixSockets()
    {
        var inventory = await WriteInventoryAsync(target: n => n);

        var plan = await new InventoryMigrationSite().CreatePlanAsync(inventory, "main", "vm1", "node-a", "node-b", CancellationToken.None);

        Assert.Null(plan.TargetTcpHost);
        Assert.Equal($"unix:{_dir}/b/vm1.migrate", plan.MigrationUri);
        Assert.Equal(new UnixSocketAddress($"{_dir}/b/vm1.nbd"), plan.NbdAddress);
        Assert.Equal("main", plan.Site);
        Assert.Equal(inventory.GetNode("node-a"), plan.SourceNodeDefinition);
        Assert.Equal(inventory.GetNode("node-b"), plan.TargetNodeDefinition);
    }

    [Fact(Timeout = 30_000)]
    public async Task CreatePlan_WithMigrationAddress_ShouldUseTcpOnFreePortsOfTheRange()
    {
        var inventory = await WriteInventoryAsync(target: n => n with { MigrationAddress = "127.0.0.1" });
        var site = new InventoryMigrationSite();

        var first = await site.CreatePlanAsync(inventory, "main", "vm1", "node-a", "node-b", CancellationToken.None);
        // Something now listens on the NBD port the first plan picked: the next plan must move to another pair.
        using var squatter = new TcpListener(IPAddress.Loopback, first.NbdTcpPort);
        squatter.Start();
        var second = await site.CreatePlanAsync(inventory, "main", "vm1", "node-a", "node-b", CancellationToken.None);

        Assert.Equal("127.0.0.1", first.TargetTcpHost);
        Assert.InRange(first.NbdTcpPort, 60000, 60099);
        Assert.Equal(first.NbdTcpPort + 1, first.MigrationTcpPort);
        Assert.Equal($"tcp:127.0.0.1:{first.MigrationTcpPort}", first.MigrationUri);
        Assert.Equal(new InetSocketAddress("127.0.0.1", first.NbdTcpPort), first.NbdAddress);
        Assert.NotEqual(first.NbdTcpPort, second.NbdTcpPort);
        Assert.Equal($"tcp:127.0.0.1:{second.MigrationTcpPort}", second.MigrationUri);
        Assert.Contains("NBD tcp 127.0.0.1:", second.EndpointsDescription);
    }

    private async Task<SiteInventory> WriteInventoryAsync(Func<NodeDefinition, NodeDefinition> target)
    {
        NodeDefinition Node(string name, string dir) => new()
        {
            Name = name,
            QmpSocketDir = $"{_dir}/{dir}",
            Storages = [new StorageDefinition { Id = "local", Layout = "directory", Mountpoint = $"{_dir}/{dir}" }],
        };
        var inventory = new SiteInventory
        {
            Nodes = [Node("node-a", "a"), target(Node("node-b", "b"))],
            Vms =
            [
                new VmDefinition
                {
                    Id = "vm1",
                    Disks = [new DiskDefinition { Id = "drive0", DeviceId = "vd0", NodeName = "disk0", Kind = "local", Storage = "local", Volume = "vm1.raw", SizeBytes = 1 << 20 }],
                },
            ],
        };
        // Saved (validated) as the site import validates it.
        await inventory.SaveAsync(Path.Combine(_dir, "inventory.json"));
        return inventory;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
