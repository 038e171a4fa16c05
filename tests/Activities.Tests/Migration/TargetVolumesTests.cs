using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>Deleting a target volume (what Rollback's undo does) on a real zfs-fuse pool.</summary>
[Collection("zfs")]
public sealed class TargetVolumesTests
{
    private const string Owner = "instance-1";

    [Fact(Timeout = 120000)]
    public async Task DeleteAsync_WhenTheDatasetStaysBusy_ShouldFailWithTheDriversZfsError_AndSucceedOnceReleasedAndAgainWhenGone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await LabWithDiskAsync(cts.Token);
        var disk = lab.Inventory.ResolveDisk("vm8", "drive0", "lab-b");
        var zfs = lab.Zfs("lab-b");
        var details = new JsonObject { ["disk"] = "drive0", ["layout"] = "files", ["dataset"] = disk.Dataset };
        await zfs.SetPropertyAsync(disk.Dataset!, Ownership.ZfsProperty, Owner, cts.Token); // as TargetVolumes.CreateAsync marks it

        ZfsException busy;
        await using (new FileStream(disk.Path, FileMode.Open, FileAccess.ReadWrite))
            busy = await Assert.ThrowsAsync<ZfsException>(() => TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, Owner, cts.Token));

        // One error from the driver's retry (not a second retry loop wrapped around it): it carries the command and stderr.
        Assert.Equal(["destroy", "-r", disk.Dataset!], busy.Arguments);
        Assert.Contains("busy", busy.StandardError, StringComparison.OrdinalIgnoreCase);
        Assert.True(await zfs.ExistsAsync(disk.Dataset!, cts.Token));
        await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, Owner, cts.Token);
        Assert.False(await zfs.ExistsAsync(disk.Dataset!, cts.Token));
        await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, Owner, cts.Token);
    }

    [Fact(Timeout = 120000)]
    public async Task DeleteAsync_WhenTheDatasetIsNotMarkedByThisMigration_ShouldLeaveItByteIdenticalAndSaySo()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await LabWithDiskAsync(cts.Token);
        var disk = lab.Inventory.ResolveDisk("vm8", "drive0", "lab-b");
        var zfs = lab.Zfs("lab-b");
        await DiskContent.FillRandomAsync(disk.Path, 0, 1L << 20, cts.Token);
        await zfs.SnapshotAsync(disk.Dataset!, "site-backup", cts.Token);
        var details = new JsonObject { ["disk"] = "drive0", ["layout"] = "files", ["dataset"] = disk.Dataset };
        var before = await FingerprintAsync(zfs, disk, cts.Token);

        // Unmarked (someone else's), then marked by another instance: both kept, each undo saying why.
        var said = await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, Owner, cts.Token);
        Assert.Contains("not created by this migration (elsa:migration=not set)", said);
        await zfs.SetPropertyAsync(disk.Dataset!, Ownership.ZfsProperty, "instance-2", cts.Token);
        said = await TargetVolumes.DeleteAsync(zfs.Node, disk.Path, details, Owner, cts.Token);
        Assert.Contains("elsa:migration=instance-2", said);

        Assert.Equal(before, await FingerprintAsync(zfs, disk, cts.Token));
    }

    [Fact(Timeout = 60000)]
    public async Task DeleteAsync_OnADirectoryStorage_ShouldRemoveOnlyTheFileWhoseInodeWasRecorded()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var dir = Directory.CreateTempSubdirectory("elsa-volumes-");
        try
        {
            var node = Elsa.Migration.Activities.Nodes.NodeExecutor.Local("node-a");
            var plan = new DiskPlan
            {
                DeviceId = "vd0",
                DriveId = "drive0",
                NodeName = "disk0",
                Kind = MigrationDiskKind.Local,
                Attached = true,
                SizeBytes = 1 << 20,
                SourcePath = Path.Combine(dir.FullName, "src.raw"),
                TargetPath = Path.Combine(dir.FullName, "vm-disk.raw"),
                TargetLayout = "directory",
            };
            // A file that was there before (the create refuses): an unconfirmed entry never removes it.
            await File.WriteAllTextAsync(plan.TargetPath, "someone's disk", cts.Token);
            await Assert.ThrowsAsync<InvalidOperationException>(() => TargetVolumes.CreateAsync(node, plan, Owner, cts.Token));
            var said = await TargetVolumes.DeleteAsync(node, plan.TargetPath, TargetVolumes.Details(plan), Owner, cts.Token);
            Assert.Contains("the create was never confirmed", said);
            Assert.Equal("someone's disk", await File.ReadAllTextAsync(plan.TargetPath, cts.Token));

            // Ours: created, confirmed with its inode, removed; a file that replaced it under the same name is not.
            File.Delete(plan.TargetPath);
            var details = TargetVolumes.Details(plan);
            foreach (var (key, value) in await TargetVolumes.CreateAsync(node, plan, Owner, cts.Token)) details[key] = value?.DeepClone();
            Assert.Equal(1L << 20, new FileInfo(plan.TargetPath).Length);
            File.Move(plan.TargetPath, plan.TargetPath + ".moved");
            await File.WriteAllTextAsync(plan.TargetPath, "a new file under the same name", cts.Token);
            Assert.Contains("not the file this migration created", await TargetVolumes.DeleteAsync(node, plan.TargetPath, details, Owner, cts.Token));
            Assert.True(File.Exists(plan.TargetPath));
            File.Delete(plan.TargetPath);
            File.Move(plan.TargetPath + ".moved", plan.TargetPath);
            Assert.Contains("deleted target volume", await TargetVolumes.DeleteAsync(node, plan.TargetPath, details, Owner, cts.Token));
            Assert.False(File.Exists(plan.TargetPath));
            Assert.Contains("already gone", await TargetVolumes.DeleteAsync(node, plan.TargetPath, details, Owner, cts.Token));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A lab whose node lab-b holds VM vm8's one local disk (a dataset with a sparse raw file).</summary>
    private static async Task<LabEnvironment> LabWithDiskAsync(CancellationToken ct)
    {
        TestTools.Require("zfs-fuse", "zfs", "zpool");
        var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = 128L * 1024 * 1024 }, cancellationToken: ct);
        try
        {
            await lab.AddVmAsync(lab.DefineVm("vm8", (DiskKind.Local, 8L << 20)), ct);
            await lab.CreateDisksAsync("vm8", "lab-b", ct);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>The dataset's snapshots (name and guid) and its disk file's bytes, hashed.</summary>
    private static async Task<string> FingerprintAsync(ZfsDriver zfs, ResolvedDisk disk, CancellationToken ct)
    {
        var snapshots = string.Join(",", (await zfs.ListSnapshotsAsync(disk.Dataset!, ct)).Select(s => $"{s.Name}:{s.Guid}"));
        await using var file = new FileStream(disk.Path, FileMode.Open, FileAccess.Read);
        return snapshots + "|" + Convert.ToHexString(await System.Security.Cryptography.SHA256.HashDataAsync(file, ct));
    }
}
