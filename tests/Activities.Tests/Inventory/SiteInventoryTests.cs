using Elsa.Migration.Activities.Inventory;

namespace Elsa.Migration.Activities.Tests.Inventory;

public sealed class SiteInventoryTests
{
    private const string Valid = """
        {
          // two nodes, one over SSH with zvols
          "nodes": [
            { "name": "node-a", "transport": { "kind": "local" }, "qmpSocketDir": "/run/elsa",
              "storages": [ { "id": "local-zfs", "layout": "files", "pool": "tank/vms", "mountpoint": "/tank/vms" },
                            { "id": "nfs", "layout": "directory", "mountpoint": "/mnt/nfs" } ] },
            { "name": "node-b", "transport": { "kind": "ssh", "host": "10.0.0.2", "port": 2222, "user": "root",
                "identityFile": "/etc/elsa/id_ed25519", "knownHostsFile": "/etc/elsa/known_hosts" }, "qmpSocketDir": "/run/elsa",
              "storages": [ { "id": "local-zfs", "layout": "zvol", "pool": "rpool/data" },
                            { "id": "nfs", "layout": "directory", "mountpoint": "/mnt/nfs" } ] }
          ],
          "vms": [
            { "id": "vm100", "qemu": { "machine": "pc", "memoryMiB": 256, "cpus": 2, "accel": "auto", "guestAgent": true },
              "disks": [
                { "id": "drive0", "deviceId": "vd0", "nodeName": "disk0", "kind": "replicated", "storage": "local-zfs", "volume": "vm-100-disk-0", "sizeBytes": 67108864 },
                { "id": "drive1", "deviceId": "vd1", "nodeName": "disk1", "kind": "shared", "storage": "nfs", "volume": "vm-100-disk-1.raw", "sizeBytes": 1048576 },
                { "id": "drive2", "kind": "unused", "storage": "local-zfs", "volume": "vm-100-disk-2", "sizeBytes": 1048576 },
              ] }
          ]
        }
        """;

    [Fact]
    public void Parse_WhenValid_ShouldResolveDiskPathsPerNodeLayout()
    {
        var inventory = SiteInventory.Parse(Valid);

        var onA = inventory.ResolveDisk("vm100", "drive0", "node-a");
        var onB = inventory.ResolveDisk("vm100", "drive0", "node-b");
        var shared = inventory.ResolveDisk("vm100", "drive1", "node-b");

        Assert.Equal(("/tank/vms/vm-100-disk-0/disk.raw", "tank/vms/vm-100-disk-0", DiskKind.Replicated), (onA.Path, onA.Dataset, onA.Kind));
        Assert.Equal(("/dev/zvol/rpool/data/vm-100-disk-0", "rpool/data/vm-100-disk-0"), (onB.Path, onB.Dataset));
        Assert.Equal("/mnt/nfs/vm-100-disk-1.raw", shared.Path);
        Assert.False(shared.IsZfs);
        Assert.Equal("/run/elsa/vm100.qmp", inventory.RuntimePaths("vm100", "node-a").QmpSocket);
        Assert.Equal(SiteInventory.Parse(inventory.ToJson()).ToJson(), inventory.ToJson());
    }

    [Fact]
    public void Parse_WhenManyThingsAreWrong_ShouldListEveryProblemWithItsLocation()
    {
        var json = Valid
            .Replace("\"name\": \"node-b\"", "\"name\": \"node-a\"")
            .Replace("\"id\": \"drive1\"", "\"id\": \"drive0\"")
            .Replace("\"storage\": \"nfs\"", "\"storage\": \"ceph\"")
            .Replace("\"accel\": \"auto\"", "\"accel\": \"hvf\"")
            .Replace("\"vm-100-disk-1.raw\", \"sizeBytes\": 1048576", "\"vm-100-disk-1.raw\", \"sizeBytes\": 1000");

        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(json));

        Assert.Contains("nodes: duplicate node name 'node-a' (2 times)", ex.Problems);
        Assert.Contains("vms[0].disks: duplicate disk id 'drive0' (2 times)", ex.Problems);
        Assert.Contains("vms[0].disks[1].storage: storage 'ceph' is not defined on node 'node-a'", ex.Problems);
        Assert.Contains("vms[0].qemu.accel: 'hvf' is not auto, tcg or kvm", ex.Problems);
        Assert.Contains("vms[0].disks[1].sizeBytes: 1000 must be a positive multiple of 512", ex.Problems);
        Assert.True(ex.Problems.Count >= 5);
        Assert.Contains("problems", ex.Message);
    }

    [Fact]
    public void Parse_WhenReplicatedDiskIsOnADirectoryStorage_ShouldSaySoPerNode()
    {
        var json = Valid.Replace("\"kind\": \"shared\"", "\"kind\": \"replicated\"");
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(json));
        Assert.Contains(ex.Problems, p => p.StartsWith("vms[0].disks[1].kind: a replicated disk needs a ZFS storage", StringComparison.Ordinal) && p.Contains("node-a"));
        Assert.Contains(ex.Problems, p => p.StartsWith("vms[0].disks[1].kind: a replicated disk needs a ZFS storage", StringComparison.Ordinal) && p.Contains("node-b"));
    }

    [Theory]
    [InlineData("\"id\": \"vm100\"", "\"id\": \"vm100; reboot\"", "vms[0].id")]
    [InlineData("\"volume\": \"vm-100-disk-0\"", "\"volume\": \"../../etc\"", "vms[0].disks[0].volume")]
    [InlineData("\"volume\": \"vm-100-disk-0\"", "\"volume\": \"x,file.driver=ssh\"", "vms[0].disks[0].volume")]
    [InlineData("\"host\": \"10.0.0.2\"", "\"host\": \"-oProxyCommand=sh\"", "nodes[1].transport")]
    [InlineData("\"deviceId\": \"vd0\"", "\"deviceId\": \"vd0,bus=evil\"", "vms[0].disks[0].deviceId")]
    [InlineData("\"mountpoint\": \"/tank/vms\"", "\"mountpoint\": \"/tank/$(id)\"", "nodes[0].storages[0].mountpoint")]
    public void Parse_WhenANameCouldInject_ShouldRejectIt(string original, string replacement, string location)
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(Valid.Replace(original, replacement)));
        Assert.Contains(ex.Problems, p => p.StartsWith(location, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenJsonIsMalformed_ShouldReportTheLine()
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse("{\n  \"nodes\": [ }", "site.json"));
        Assert.Contains("site.json", ex.Message);
        Assert.Contains("line 2", Assert.Single(ex.Problems));
    }

    [Fact]
    public void Parse_WhenPropertyIsUnknown_ShouldRejectIt()
    {
        var ex = Assert.Throws<InventoryException>(() => SiteInventory.Parse(Valid.Replace("\"cpus\": 2", "\"cpus\": 2, \"cpu\": 4")));
        Assert.Contains("cpu", Assert.Single(ex.Problems));
    }

    [Fact]
    public void Lookups_WhenUnknown_ShouldListWhatIsKnown()
    {
        var inventory = SiteInventory.Parse(Valid);
        Assert.Contains("node-a, node-b", Assert.Throws<InventoryException>(() => inventory.GetNode("node-c")).Message);
        Assert.Contains("vm100", Assert.Throws<InventoryException>(() => inventory.GetVm("vm1")).Message);
        Assert.Contains("drive0, drive1, drive2", Assert.Throws<InventoryException>(() => inventory.ResolveDisk("vm100", "drive9", "node-a")).Message);
    }
}
