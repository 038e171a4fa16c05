using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Activities.Tests.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Zfs;

/// <summary>ZfsDriver and ZfsReplicator on real zfs-fuse pools, one per simulated node.</summary>
[Collection("zfs")]
public sealed class ZfsDriverTests(ITestOutputHelper output)
{
    private const long DiskSize = 16L * 1024 * 1024;

    private static async Task<LabEnvironment> CreateLabAsync(CancellationToken ct)
    {
        TestTools.Require("zfs-fuse", "zfs", "zpool");
        var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = 256L * 1024 * 1024 }, cancellationToken: ct);
        await lab.AddVmAsync(lab.DefineVm("vm7", (DiskKind.Replicated, DiskSize)), ct);
        await lab.CreateDisksAsync("vm7", "lab-a", ct);
        return lab;
    }

    private static async Task WriteAsync(string path, long offset, int length, byte value)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        await fs.WriteAsync(Enumerable.Repeat(value, length).ToArray());
        await fs.FlushAsync();
    }

    [Fact(Timeout = 120000)]
    public async Task SnapshotSendReceive_FullThenIncremental_ShouldReplicateOnlyTheChangeAndFindTheNewestCommonSnapshot()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await CreateLabAsync(cts.Token);
        var a = lab.Zfs("lab-a");
        var b = lab.Zfs("lab-b");
        var src = lab.Inventory.ResolveDisk("vm7", "drive0", "lab-a");
        var dst = lab.Inventory.ResolveDisk("vm7", "drive0", "lab-b");
        var replicator = new ZfsReplicator();
        await WriteAsync(src.Path, 0, 4 * 1024 * 1024, 0x11);

        Assert.Null(await ZfsReplicator.NewestCommonSnapshotAsync(a, src.Dataset!, b, dst.Dataset!, cts.Token));
        var s1 = await a.SnapshotAsync(src.Dataset!, "elsa-rep-1", cts.Token);
        var progress = new List<long>();
        var full = await replicator.SendReceiveAsync(a, src.Dataset!, "elsa-rep-1", null, b, dst.Dataset!, new SyncProgress(progress), cts.Token);

        await WriteAsync(src.Path, 8 * 1024 * 1024, 1024 * 1024, 0x22);
        await a.SnapshotAsync(src.Dataset!, "elsa-rep-2", cts.Token);
        var common = await ZfsReplicator.NewestCommonSnapshotAsync(a, src.Dataset!, b, dst.Dataset!, cts.Token);
        Assert.Equal("elsa-rep-1", common?.Name);
        var incremental = await replicator.SendReceiveAsync(a, src.Dataset!, "elsa-rep-2", common!.Name, b, dst.Dataset!, cancellationToken: cts.Token);

        Assert.False(full.Incremental);
        Assert.True(incremental.Incremental);
        Assert.True(full.BytesTransferred > 4 * 1024 * 1024, $"full stream {full.BytesTransferred} bytes");
        Assert.InRange(incremental.BytesTransferred, 1024 * 1024, 2 * 1024 * 1024);
        Assert.Equal(full.BytesTransferred, progress[^1]);
        var targetSnapshots = await b.ListSnapshotsAsync(dst.Dataset!, cts.Token);
        Assert.Equal(["elsa-rep-1", "elsa-rep-2"], targetSnapshots.Select(s => s.Name));
        Assert.Equal(s1.Guid, targetSnapshots[0].Guid);
        Assert.Equal("elsa-rep-2", (await ZfsReplicator.NewestCommonSnapshotAsync(a, src.Dataset!, b, dst.Dataset!, cts.Token))?.Name);
        // Read without the page cache: after a receive into a mounted dataset buffered reads may be stale.
        var (code, text) = await TestTools.RunAsync("qemu-img", ["compare", "-f", "raw", "-F", "raw", "-T", "none", src.Path, dst.Path], cts.Token);
        Assert.True(code == 0, text);
        output.WriteLine($"full: {full.BytesTransferred} bytes in {full.Duration.TotalMilliseconds:0} ms; incremental (1 MiB change): {incremental.BytesTransferred} bytes in {incremental.Duration.TotalMilliseconds:0} ms");

        // The replica may be read (atime) and even written: recv -F rolls it back before the next increment.
        await WriteAsync(dst.Path, 0, 4096, 0x99);
        await WriteAsync(src.Path, 0, 4096, 0x33);
        await a.SnapshotAsync(src.Dataset!, "elsa-rep-3", cts.Token);
        await replicator.SendReceiveAsync(a, src.Dataset!, "elsa-rep-3", "elsa-rep-2", b, dst.Dataset!, cancellationToken: cts.Token);
        (code, text) = await TestTools.RunAsync("qemu-img", ["compare", "-f", "raw", "-F", "raw", "-T", "none", src.Path, dst.Path], cts.Token);
        Assert.True(code == 0, text);
    }

    [Fact(Timeout = 120000)]
    public async Task PruneSnapshots_ShouldKeepTheNewestOfOurPrefixAndNeverTouchOthers()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await CreateLabAsync(cts.Token);
        var a = lab.Zfs("lab-a");
        var ds = lab.Inventory.ResolveDisk("vm7", "drive0", "lab-a").Dataset!;
        foreach (var name in new[] { "elsa-1", "manual-keep", "elsa-2", "elsa-3", "elsa-4" })
            await a.SnapshotAsync(ds, name, cts.Token);

        var destroyed = await a.PruneSnapshotsAsync(ds, "elsa-", keep: 2, cts.Token);

        Assert.Equal(["elsa-1", "elsa-2"], destroyed.Select(s => s.Name));
        Assert.Equal(["manual-keep", "elsa-3", "elsa-4"], (await a.ListSnapshotsAsync(ds, cts.Token)).Select(s => s.Name));
        Assert.Empty(await a.PruneSnapshotsAsync(ds, "elsa-", keep: 2, cts.Token));
    }

    [Fact(Timeout = 120000)]
    public async Task SendReceive_WhenTargetLacksTheIncrementalBase_ShouldThrowWithRecvStderr()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await CreateLabAsync(cts.Token);
        var a = lab.Zfs("lab-a");
        var b = lab.Zfs("lab-b");
        var src = lab.Inventory.ResolveDisk("vm7", "drive0", "lab-a").Dataset!;
        var dst = lab.Inventory.ResolveDisk("vm7", "drive0", "lab-b").Dataset!;
        await a.SnapshotAsync(src, "base", cts.Token);
        await a.SnapshotAsync(src, "next", cts.Token);

        var ex = await Assert.ThrowsAsync<ZfsException>(() => new ZfsReplicator().SendReceiveAsync(a, src, "next", "base", b, dst, cancellationToken: cts.Token));

        Assert.Equal("lab-b", ex.Node);
        Assert.Equal(["recv", "-F", dst], ex.Arguments);
        Assert.NotEqual(0, ex.ExitCode);
        Assert.False(string.IsNullOrWhiteSpace(ex.StandardError));
        Assert.Contains(ex.StandardError, ex.Message);
        Assert.False(await b.ExistsAsync(dst, cts.Token));
        output.WriteLine(ex.Message);
    }

    [Fact(Timeout = 120000)]
    public async Task DatasetsAndProperties_ShouldBeListedSetAndDestroyed()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var lab = await CreateLabAsync(cts.Token);
        var a = lab.Zfs("lab-a");
        var pool = lab.PoolName("lab-a");

        await a.CreateDatasetAsync($"{pool}/extra/child", new Dictionary<string, string> { ["compression"] = "off" }, cts.Token);
        // Not readonly/atime: zfs-fuse reports mount-related properties as "temporary" values of the mount.
        await a.SetPropertyAsync($"{pool}/extra/child", "compression", "gzip-1", cts.Token);
        await a.SetPropertyAsync($"{pool}/extra/child", "elsa:owner", "test-run", cts.Token);
        var datasets = await a.ListDatasetsAsync(pool, cts.Token);

        Assert.Contains(datasets, d => d.Name == $"{pool}/extra/child" && d.Type == ZfsDatasetType.Filesystem && d.Mountpoint == $"{lab.Directory}/lab-a/mnt/extra/child");
        Assert.Contains(datasets, d => d.Name == $"{pool}/vm7-disk-0" && d.Used > 0);
        Assert.Equal("gzip-1", await a.GetPropertyAsync($"{pool}/extra/child", "compression", cts.Token));
        Assert.Equal("test-run", await a.GetPropertyAsync($"{pool}/extra/child", "elsa:owner", cts.Token));
        await a.DestroyAsync($"{pool}/extra", recursive: true, cts.Token);
        Assert.False(await a.ExistsAsync($"{pool}/extra", cts.Token));
        var missing = await Assert.ThrowsAsync<ZfsException>(() => a.DestroyAsync($"{pool}/extra", cancellationToken: cts.Token));
        Assert.Contains("does not exist", missing.StandardError);
    }

    [Theory]
    [InlineData("pool/ds; rm -rf /")]
    [InlineData("-R pool/ds")]
    [InlineData("pool/../etc")]
    [InlineData("pool/ds@snap")]
    [InlineData("pool/ds name")]
    public async Task Driver_WhenDatasetNameCouldInject_ShouldRejectBeforeRunningAnything(string name)
    {
        var driver = new ZfsDriver(Elsa.Migration.Activities.Nodes.NodeExecutor.Local("localhost"));
        await Assert.ThrowsAsync<ArgumentException>(() => driver.SnapshotAsync(name, "s1"));
        await Assert.ThrowsAsync<ArgumentException>(() => driver.SnapshotAsync("pool/ds", "s1 $(reboot)"));
    }

    private sealed class SyncProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value)
        {
            lock (values) values.Add(value);
        }
    }
}
