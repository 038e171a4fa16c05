using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>
/// Two local "nodes" (src, dst) with plain directory storage (no ZFS needed for the QMP tests) and one VM with a
/// 64 MiB raw local disk. Starts real QEMUs through <see cref="QemuVmManager"/> and stops them on dispose.
/// </summary>
internal sealed class TwoQemuFixture : IAsyncDisposable
{
    public const long DiskSize = 64L * 1024 * 1024;
    private readonly List<QmpClient> _clients = [];

    private TwoQemuFixture(string dir, SiteInventory inventory)
    {
        Directory = dir;
        Inventory = inventory;
        Manager = new QemuVmManager(inventory);
    }

    public string Directory { get; }
    public SiteInventory Inventory { get; }
    public QemuVmManager Manager { get; }
    public string VmId => "vm1";

    public static TwoQemuFixture Create()
    {
        TestTools.Require("qemu-system-x86_64", "qemu-img");
        var dir = TestTools.CreateTempDir("elsa-qmp");
        NodeDefinition Node(string name) => new()
        {
            Name = name,
            QmpSocketDir = $"{dir}/{name}/run",
            Storages = [new StorageDefinition { Id = "disks", Layout = "directory", Mountpoint = $"{dir}/{name}/disks" }],
        };
        var inventory = new SiteInventory
        {
            Nodes = [Node("src"), Node("dst")],
            Vms = [new VmDefinition
            {
                Id = "vm1",
                Qemu = new QemuProfile { Accel = "tcg" },
                Disks = [new DiskDefinition { Id = "drive0", DeviceId = "vd0", NodeName = "disk0", Kind = "local", Storage = "disks", Volume = "vm1-disk0.raw", SizeBytes = DiskSize }],
            }],
        };
        Assert.Empty(InventoryValidator.Validate(inventory));
        foreach (var node in new[] { "src", "dst" })
        {
            System.IO.Directory.CreateDirectory($"{dir}/{node}/disks");
            using var fs = new FileStream(inventory.ResolveDisk("vm1", "drive0", node).Path, FileMode.CreateNew);
            fs.SetLength(DiskSize);
        }
        return new TwoQemuFixture(dir, inventory);
    }

    public string DiskPath(string node) => Inventory.ResolveDisk(VmId, "drive0", node).Path;

    public async Task<QmpClient> StartAsync(string node, bool incoming, CancellationToken ct)
    {
        var status = await Manager.StartAsync(node, VmId, new QemuStartOptions { Incoming = incoming }, ct);
        var client = await QmpClient.ConnectAsync(status.QmpSocket, new QmpClientOptions { Name = node }, cancellationToken: ct);
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) await c.DisposeAsync();
        foreach (var node in new[] { "src", "dst" }) await Manager.StopAsync(node, VmId);
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
