using System.Diagnostics;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>QmpClient against real qemu-system-x86_64 processes under TCG.</summary>
public sealed class QmpRealQemuTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);

    [Fact(Timeout = 90000)]
    public async Task QueryCapabilities_OnStockQemu_ShouldReportNoNativeBitmapMirrorButBitmapBackup()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var fixture = TwoQemuFixture.Create();
        var qmp = await fixture.StartAsync("src", incoming: false, cts.Token);

        var caps = await qmp.QueryCapabilitiesAsync(cts.Token);
        var status = await qmp.QueryStatusAsync(cts.Token);

        Assert.False(caps.NativeBitmapMirror, "Debian's stock QEMU has no bitmap member on blockdev-mirror/drive-mirror");
        Assert.True(caps.BackupSupportsBitmap);
        Assert.True(caps.HasCommand("blockdev-mirror"));
        Assert.Contains("sync", caps.BlockdevMirrorArguments);
        Assert.Equal(7, qmp.QemuVersion.Major);
        Assert.Equal(RunState.Running, status.Status);
        var ex = await Assert.ThrowsAsync<QmpException>(() => qmp.BlockdevMirrorAsync(new BlockdevMirrorOptions("j0", "disk0", "nowhere") { Bitmap = "b0" }, cts.Token));
        Assert.Equal("GenericError", ex.ErrorClass);
        output.WriteLine($"QEMU {qmp.QemuVersion}: native bitmap mirror={caps.NativeBitmapMirror}; bitmap mirror attempt: {ex.Description}");
    }

    [Fact(Timeout = 90000)]
    public async Task DirtyBitmap_AfterQemuIoWrite_ShouldShowItsCountInQueryBlock()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var fixture = TwoQemuFixture.Create();
        var qmp = await fixture.StartAsync("src", incoming: false, cts.Token);

        await qmp.BlockDirtyBitmapAddAsync("disk0", "elsa-b0", cancellationToken: cts.Token);
        var before = (await qmp.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0").FindBitmap("elsa-b0");
        await BlockLayerWriter.WriteAsync(qmp, "drive0", 1024 * 1024, 1024 * 1024, 0xab, cts.Token);
        await BlockLayerWriter.WriteAsync(qmp, "drive0", 10 * 1024 * 1024, 4096, 0xcd, cts.Token);
        var after = (await qmp.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0").FindBitmap("elsa-b0");

        Assert.NotNull(before);
        Assert.Equal(0, before.Count);
        Assert.NotNull(after);
        // 1 MiB plus one 4 KiB write rounded up to the 64 KiB granularity.
        Assert.Equal(1024 * 1024 + 65536, after.Count);
        Assert.Equal(65536, after.Granularity);
        Assert.True(after.Recording);

        await qmp.TransactionAsync([new ClearBitmapAction("disk0", "elsa-b0"), new AddBitmapAction("disk0", "elsa-b1", 131072)], cts.Token);
        var bitmaps = (await qmp.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0").Inserted!.DirtyBitmaps;
        Assert.Equal(0, bitmaps.Single(b => b.Name == "elsa-b0").Count);
        Assert.Equal(131072, bitmaps.Single(b => b.Name == "elsa-b1").Granularity);
        var nodes = await qmp.QueryNamedBlockNodesAsync(cts.Token);
        Assert.Contains(nodes, n => n.NodeName == "disk0" && n.DirtyBitmaps.Any(b => b.Name == "elsa-b1"));
        await qmp.BlockDirtyBitmapRemoveAsync("disk0", "elsa-b0", cts.Token);
        await qmp.BlockDirtyBitmapRemoveAsync("disk0", "elsa-b1", cts.Token);
        Assert.Empty((await qmp.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0").Inserted!.DirtyBitmaps);
    }

    [Fact(Timeout = 90000)]
    public async Task FullMirrorToNbdExportOfSecondQemu_ShouldReachReadyThroughEventsAndSoftCancelKeepsSourceDisk()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var fixture = TwoQemuFixture.Create();
        var src = await fixture.StartAsync("src", incoming: false, cts.Token);
        var dst = await fixture.StartAsync("dst", incoming: true, cts.Token);
        var nbdSocket = fixture.Inventory.RuntimePaths(fixture.VmId, "dst").NbdSocket;
        await BlockLayerWriter.WriteAsync(src, "drive0", 0, 8 * 1024 * 1024, 0x5a, cts.Token);
        await BlockLayerWriter.WriteAsync(src, "drive0", 40 * 1024 * 1024, 3 * 1024 * 1024, 0xa5, cts.Token);

        Assert.Equal(RunState.Inmigrate, (await dst.QueryStatusAsync(cts.Token)).Status);
        await dst.NbdServerStartAsync(new UnixSocketAddress(nbdSocket), cts.Token);
        await dst.BlockExportAddNbdAsync("exp-drive0", "disk0", "drive0", cancellationToken: cts.Token);
        var connect = Stopwatch.StartNew();
        await src.BlockdevAddNbdAsync("tgt-drive0", new UnixSocketAddress(nbdSocket), "drive0", cts.Token);
        connect.Stop();

        var mirrorClock = Stopwatch.StartNew();
        var ready = await src.WaitForEventAsync<BlockJobReadyEvent>(
            () => src.BlockdevMirrorAsync(new BlockdevMirrorOptions("mirror-drive0", "disk0", "tgt-drive0") { AutoDismiss = false }, cts.Token),
            e => e.Device == "mirror-drive0", TimeSpan.FromSeconds(60), cts.Token);
        mirrorClock.Stop();
        Assert.Equal(BlockJobType.Mirror, ready.Type);
        var job = Assert.Single(await src.QueryBlockJobsAsync(cts.Token));
        Assert.True(job.Ready);
        Assert.Equal(JobStatus.Ready, job.Status);

        // Writes after READY are mirrored too (the job keeps tracking until cancelled).
        await BlockLayerWriter.WriteAsync(src, "drive0", 20 * 1024 * 1024, 1024 * 1024, 0x77, cts.Token);

        var cancelClock = Stopwatch.StartNew();
        var completed = await src.WaitForEventAsync<BlockJobCompletedEvent>(
            () => src.BlockJobCancelAsync("mirror-drive0", cancellationToken: cts.Token),
            e => e.Device == "mirror-drive0", TimeSpan.FromSeconds(30), cts.Token);
        cancelClock.Stop();
        Assert.Null(completed.Error);
        var concluded = Assert.Single(await src.QueryBlockJobsAsync(cts.Token));
        Assert.Equal(JobStatus.Concluded, concluded.Status);
        await src.JobDismissAsync("mirror-drive0", cts.Token);
        Assert.Empty(await src.QueryBlockJobsAsync(cts.Token));

        // Soft cancel: the source still runs on its own file, not on the NBD target.
        var srcDrive = (await src.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0");
        Assert.Equal(fixture.DiskPath("src"), srcDrive.Inserted!.File);
        await src.BlockdevDelAsync("tgt-drive0", cts.Token);
        await dst.BlockExportDelAsync("exp-drive0", cts.Token);
        await dst.NbdServerStopAsync(cts.Token);

        // Quiesce the source so its file is stable, then compare bytes without the host page cache.
        await src.StopAsync(cts.Token);
        var (code, text) = await TestTools.RunAsync("qemu-img", ["compare", "-U", "-f", "raw", "-F", "raw", "-T", "none", fixture.DiskPath("src"), fixture.DiskPath("dst")], cts.Token);
        Assert.True(code == 0, $"qemu-img compare: {text}");
        output.WriteLine($"NBD connect over UNIX socket: {connect.Elapsed.TotalMilliseconds:0.0} ms; 64 MiB mirror to READY: {mirrorClock.Elapsed.TotalMilliseconds:0} ms; soft cancel: {cancelClock.Elapsed.TotalMilliseconds:0.0} ms");
    }

    [Fact(Timeout = 90000)]
    public async Task MirrorThenDisableBitmap_OnRealQemu_ShouldFollowWritesWithTheMirrorAndFreezeTheBitmap()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var fixture = TwoQemuFixture.Create();
        var src = await fixture.StartAsync("src", incoming: false, cts.Token);
        var dst = await fixture.StartAsync("dst", incoming: true, cts.Token);
        var nbdSocket = fixture.Inventory.RuntimePaths(fixture.VmId, "dst").NbdSocket;
        await dst.NbdServerStartAsync(new UnixSocketAddress(nbdSocket), cts.Token);
        await dst.BlockExportAddNbdAsync("exp-drive0", "disk0", "drive0", writable: true, cancellationToken: cts.Token);
        await src.BlockdevAddNbdAsync("tgt-drive0", new UnixSocketAddress(nbdSocket), "drive0", cts.Token);
        await src.BlockDirtyBitmapAddAsync("disk0", "mig-vd0", cancellationToken: cts.Token);
        await BlockLayerWriter.WriteAsync(src, "drive0", 0, 65536, 0x11, cts.Token); // before the hand-over: the bitmap's

        await src.BlockdevMirrorThenDisableBitmapAsync(new BlockdevMirrorOptions("follow-drive0", "disk0", "tgt-drive0", SyncMode.None), "disk0", "mig-vd0", cts.Token);
        await BlockLayerWriter.WriteAsync(src, "drive0", 4 * 65536, 65536, 0x22, cts.Token); // after it: the mirror's only

        var bitmap = (await src.QueryBlockAsync(cts.Token)).Single(b => b.Device == "drive0").FindBitmap("mig-vd0");
        Assert.NotNull(bitmap);
        Assert.False(bitmap.Recording);
        Assert.Equal(65536, bitmap.Count);
        var job = Assert.Single(await src.QueryBlockJobsAsync(cts.Token));
        Assert.Equal("follow-drive0", job.Device);
        Assert.Equal(BlockJobType.Mirror, job.Type);
        await src.WaitForEventAsync<BlockJobCompletedEvent>(() => src.BlockJobCancelAsync("follow-drive0", cancellationToken: cts.Token),
            e => e.Device == "follow-drive0", TimeSpan.FromSeconds(30), cts.Token);
        await src.StopAsync(cts.Token);
        var (code, text) = await TestTools.RunAsync("qemu-io", ["-f", "raw", "-r", "-U", "-c", $"read -P 0x22 {4 * 65536} 65536", fixture.DiskPath("dst")], cts.Token);
        Assert.True(code == 0 && !text.Contains("Pattern verification failed"), $"the write after the hand-over must be on the target: {text}");
    }

    [Fact(Timeout = 90000)]
    public async Task QemuProcessExit_ShouldFailPendingWaitersWithDisconnected()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var fixture = TwoQemuFixture.Create();
        var qmp = await fixture.StartAsync("src", incoming: false, cts.Token);
        using var shutdown = qmp.ExpectEvent<ShutdownEvent>();
        using var never = qmp.ExpectEvent<BlockJobReadyEvent>();

        try
        {
            await qmp.QuitAsync(cts.Token);
        }
        catch (QmpDisconnectedException)
        {
            // QEMU may close the socket before its reply to 'quit' is read: the exit is what this test is about.
        }

        var ev = await shutdown.WaitAsync(TimeSpan.FromSeconds(10), cts.Token);
        Assert.Equal("host-qmp-quit", ev.Reason);
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => never.WaitAsync(TimeSpan.FromSeconds(10), cts.Token));
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => qmp.QueryStatusAsync(cts.Token));
    }
}
