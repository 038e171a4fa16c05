using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>Deleting a target volume (what Rollback's undo does) on a real zfs-fuse pool.</summary>
[Collection("zfs")]
public sealed class TargetVolumesTests
{
    [Fact(Timeout = 120000)]
    public async Task DeleteAsync_WhenTheDatasetStaysBusy_ShouldFailWithTheDriversZfsError_AndSucceedOnceReleasedAndAgainWhenGone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        TestTools.Require("zfs-fuse", "zfs", "zpool");
        await using var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = 128L * 1024 * 1024 }, cancellationToken: cts.Token);
        await lab.AddVmAsync(lab.DefineVm("vm8", (DiskKind.Local, 8L << 20)), cts.Token);
        await lab.CreateDisksAsync("vm8", "lab-b", cts.Token);
        var disk = lab.Inventory.ResolveDisk("vm8", "drive0", "lab-b");
        var zfs = lab.Zfs("lab-b");
        var details = new JsonObject { ["disk"] = "drive0", ["layout"] = "files", ["dataset"] = disk.Dataset };

        ZfsException busy;
        await using (new FileStream(disk.Path, FileMode.Open, FileAccess.ReadWrite))
            busy = await Assert.ThrowsAsync<ZfsException>(() => TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, cts.Token));

        // One error from the driver's retry (not a second retry loop wrapped around it): it carries the command and stderr.
        Assert.Equal(["destroy", "-r", disk.Dataset!], busy.Arguments);
        Assert.Contains("busy", busy.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.True(await zfs.ExistsAsync(disk.Dataset!, cts.Token));
        await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, cts.Token);
        Assert.False(await zfs.ExistsAsync(disk.Dataset!, cts.Token));
        await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, cts.Token);
    }
}
