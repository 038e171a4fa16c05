using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>What the recovery and takeover lab tests check on the nodes after a migration was rolled back.</summary>
internal static class MigrationLabChecks
{
    /// <summary>The VM runs on the source on its own disks; no migration leftovers on the source; no QEMU or non-replicated volume on the target; the replica is kept.</summary>
    public static async Task AssertVmOnSourceOnlyAsync(MigrationLab lab, string vmId, CancellationToken ct)
    {
        var inventory = lab.Lab.Inventory;
        var source = await lab.Pool.GetAsync(inventory.RuntimePaths(vmId, MigrationLab.Source).QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        var block = await source.Client.QueryBlockAsync(ct);
        Assert.Equal(inventory.ResolveDisk(vmId, "drive0", MigrationLab.Source).Path, block.Single(b => b.Device == "drive0").Inserted!.File);
        Assert.Equal(inventory.ResolveDisk(vmId, "drive1", MigrationLab.Source).Path, block.Single(b => b.Device == "drive1").Inserted!.File);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(nodes, n => n.DirtyBitmaps.Count > 0);
        Assert.DoesNotContain(nodes, n => n.NodeName.StartsWith("mig-", StringComparison.Ordinal));
        Assert.Empty(await source.Client.QueryBlockJobsAsync(ct));
        Assert.False((await source.Client.QueryMigrateAsync(ct)).Status is MigrationStatus.Active or MigrationStatus.PreSwitchover or MigrationStatus.Setup);

        var target = inventory.RuntimePaths(vmId, MigrationLab.Target);
        Assert.False(QemuAlive(lab, vmId, MigrationLab.Target), "a target QEMU is still alive");
        Assert.False(File.Exists(target.QmpSocket), "the target QMP socket is left behind");
        Assert.False(File.Exists(target.NbdSocket), "the target NBD socket is left behind");
        Assert.False(await lab.Lab.Zfs(MigrationLab.Target).ExistsAsync(inventory.ResolveDisk(vmId, "drive1", MigrationLab.Target).Dataset!, ct),
            "the local disk's target volume is left behind");
        Assert.True(await lab.Lab.Zfs(MigrationLab.Target).ExistsAsync(inventory.ResolveDisk(vmId, "drive0", MigrationLab.Target).Dataset!, ct),
            "the replica must be kept");
    }

    /// <summary>The VM runs on the target only, on disks equal to the source's (the local disk against the source copy the
    /// migration kept renamed: <c>KeepSourceLocalDisks=true</c>); the source QEMU is gone and the local disk's source
    /// volume no longer exists under its name.</summary>
    public static async Task AssertVmOnTargetOnlyAsync(MigrationLab lab, string vmId, string instanceId, CancellationToken ct)
    {
        var inventory = lab.Lab.Inventory;
        Assert.False(QemuAlive(lab, vmId, MigrationLab.Source), "the source QEMU is still alive");
        var target = await lab.Pool.GetAsync(inventory.RuntimePaths(vmId, MigrationLab.Target).QmpSocket, ct);
        Assert.Equal(RunState.Running, (await target.Client.QueryStatusAsync(ct)).Status);
        Assert.DoesNotContain(await target.Client.QueryNamedBlockNodesAsync(ct), n => n.DirtyBitmaps.Count > 0);
        var replicated = await lab.CompareAsync(vmId, 0, ct);
        Assert.True(replicated.Identical, $"drive0: {replicated.Output}");
        var local = await lab.CompareAsync(lab.KeptSourcePath(vmId, 1, instanceId), lab.Disk(vmId, 1, MigrationLab.Target).Path, ct);
        Assert.True(local.Identical, $"drive1 (against the kept source copy): {local.Output}");
        Assert.False(await lab.Lab.Zfs(MigrationLab.Source).ExistsAsync(inventory.ResolveDisk(vmId, "drive1", MigrationLab.Source).Dataset!, ct),
            "the local disk's source volume is still there under its name");
    }

    public static bool QemuAlive(MigrationLab lab, string vmId, string node)
    {
        var pidFile = lab.Lab.Inventory.RuntimePaths(vmId, node).PidFile;
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(pidFile, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // no such process
        }
    }
}
