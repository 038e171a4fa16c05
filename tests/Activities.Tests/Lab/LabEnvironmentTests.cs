using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Lab;

/// <summary>The two-node lab on real zfs-fuse and real QEMU.</summary>
[Collection("zfs")]
public sealed class LabEnvironmentTests
{
    [Fact(Timeout = 120000)]
    public async Task Lab_ShouldStartVmsOnBothNodesWithTheSameDeviceIdsAndTearEverythingDownTwice()
    {
        TestTools.Require("zfs-fuse", "qemu-system-x86_64");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        var lab = await LabEnvironment.CreateAsync(cancellationToken: cts.Token);
        int? sourcePid;
        try
        {
            await lab.AddVmAsync(lab.DefineVm("vm5", (DiskKind.Replicated, 32L * 1024 * 1024), (DiskKind.Local, 8L * 1024 * 1024), (DiskKind.Unused, 4L * 1024 * 1024)), cts.Token);
            foreach (var node in lab.NodeNames) await lab.CreateDisksAsync("vm5", node, cts.Token);
            var reloaded = await SiteInventory.LoadAsync(lab.InventoryPath, cts.Token);
            Assert.Equal(lab.Inventory.ToJson(), reloaded.ToJson());

            await using var source = await lab.StartVmAsync("vm5", "lab-a", cancellationToken: cts.Token);
            await using var target = await lab.StartVmAsync("vm5", "lab-b", incoming: true, cts.Token);
            var manager = new QemuVmManager(lab.Inventory);
            var status = await manager.StatusAsync("lab-a", "vm5", cts.Token);
            sourcePid = status.Pid;

            Assert.True(status.ProcessAlive);
            Assert.Equal(RunState.Running, (await source.QueryStatusAsync(cts.Token)).Status);
            Assert.Equal(RunState.Inmigrate, (await target.QueryStatusAsync(cts.Token)).Status);
            var sourceDevices = (await source.QueryBlockAsync(cts.Token)).Select(b => (b.Device, b.Inserted?.NodeName)).ToList();
            var targetDevices = (await target.QueryBlockAsync(cts.Token)).Select(b => (b.Device, b.Inserted?.NodeName)).ToList();
            Assert.Equal([("drive0", "disk0"), ("drive1", "disk1")], sourceDevices);
            Assert.Equal(sourceDevices, targetDevices);
            var drive0 = (await source.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0");
            Assert.Equal(lab.Inventory.ResolveDisk("vm5", "drive0", "lab-a").Path, drive0.Inserted!.File);
            await Assert.ThrowsAsync<InvalidOperationException>(() => manager.StartAsync("lab-a", "vm5", cancellationToken: cts.Token));

            Assert.True(await lab.StopVmAsync("vm5", "lab-b", cts.Token));
            Assert.False(await lab.StopVmAsync("vm5", "lab-b", cts.Token));
            Assert.False((await manager.StatusAsync("lab-b", "vm5", cts.Token)).ProcessAlive);
        }
        finally
        {
            await lab.DisposeAsync();
            await lab.DisposeAsync();
        }

        Assert.False(Directory.Exists(lab.Directory));
        Assert.False(sourcePid is { } pid && File.Exists($"/proc/{pid}/cmdline"), "the source QEMU survived teardown");
        var (code, pools) = await TestTools.RunAsync("zpool", ["list", "-H", "-o", "name"], cts.Token);
        Assert.DoesNotContain(lab.Suffix, pools);
    }
}
