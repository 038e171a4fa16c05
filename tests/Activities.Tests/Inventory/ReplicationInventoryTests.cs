using Elsa.Migration.Activities.Inventory;

namespace Elsa.Migration.Activities.Tests.Inventory;

/// <summary>The inventory's per-VM replication nodes: parsed, validated (known nodes, no duplicates), turned into targets.</summary>
public sealed class ReplicationInventoryTests
{
    private const string Template = """
        {
          "nodes": [
            { "name": "node-a", "qmpSocketDir": "/run/elsa", "storages": [ { "id": "z", "layout": "files", "pool": "tank/vms", "mountpoint": "/tank/vms" } ] },
            { "name": "node-b", "qmpSocketDir": "/run/elsa", "storages": [ { "id": "z", "layout": "files", "pool": "tank/vms", "mountpoint": "/tank/vms" } ] },
            { "name": "node-c", "qmpSocketDir": "/run/elsa", "storages": [ { "id": "z", "layout": "files", "pool": "tank/vms", "mountpoint": "/tank/vms" } ] }
          ],
          "vms": [ { "id": "vm1", "replication": REPLICATION,
                     "disks": [ { "id": "drive0", "deviceId": "vd0", "nodeName": "disk0", "kind": "replicated", "storage": "z", "volume": "vm-1-disk-0", "sizeBytes": 1048576 } ] } ]
        }
        """;

    private static string With(string replication) => Template.Replace("REPLICATION", replication);

    [Fact]
    public void Parse_WithReplicationNodes_ShouldGiveEveryOtherNodeAsTargetInListOrder()
    {
        var vm = SiteInventory.Parse(With("""{ "nodes": ["node-a", "node-b", "node-c"] }""")).GetVm("vm1");

        Assert.Equal(["node-b", "node-c"], vm.Replication!.TargetsFrom("node-a"));
        Assert.Equal(["node-a", "node-c"], vm.Replication.TargetsFrom("node-b"));
    }

    [Theory]
    [InlineData("""{ "nodes": ["node-a", "node-x"] }""", "vms[0].replication.nodes[1]: 'node-x' is not a node of this inventory (known: node-a, node-b, node-c)")]
    [InlineData("""{ "nodes": ["node-a", "node-b", "node-a"] }""", "vms[0].replication.nodes: duplicate node 'node-a' (2 times)")]
    [InlineData("""{ "nodes": [] }""", "vms[0].replication.nodes: list at least one node that keeps a copy (or leave 'replication' out)")]
    public void Parse_WithBadReplicationNodes_ShouldNameTheProblemAndWhere(string replication, string problem)
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(With(replication)));

        Assert.Contains(problem, ex.Problems);
    }

    [Fact]
    public void Parse_WithoutReplication_ShouldLeaveItNullAndRoundTrip()
    {
        var inventory = SiteInventory.Parse(Template.Replace("\"replication\": REPLICATION,", ""));

        Assert.Null(inventory.GetVm("vm1").Replication);
        Assert.Equal(inventory.ToJson(), SiteInventory.Parse(inventory.ToJson()).ToJson());
    }
}
