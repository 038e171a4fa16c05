using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Preflight;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>The estimate's arithmetic (pure): copy bytes per disk kind, pre-copy convergence, downtime.</summary>
public sealed class MigrationEstimatorTests
{
    private static readonly LinkRate Rate = LinkRate.Configured(100_000_000); // 100 MB/s

    private static DiskEstimate Disk(MigrationDiskKind kind, long size, long? stream = null, double writes = 0, bool attached = true) => new()
    {
        DeviceId = "d", Kind = kind, Attached = attached, Strategy = "x", SizeBytes = size, ZfsStreamBytes = stream, WriteBytesPerSecond = writes,
    };

    public static TheoryData<string, DiskEstimate, long> CopyCases() => new()
    {
        { "shared: nothing", Disk(MigrationDiskKind.Shared, 1_000_000_000), 0 },
        // 200 MB of streams take 2 s; with 1 s of setup the guest's 1 MB/s adds 3 MB to the bitmap copy.
        { "replicated: writes during the streams", Disk(MigrationDiskKind.Replicated, 1_000_000_000, 200_000_000, 1_000_000), 3_000_000 },
        { "replicated, idle guest: nothing on top of the replica", Disk(MigrationDiskKind.Replicated, 1_000_000_000, 200_000_000), 0 },
        { "replicated, unused: the stream only", Disk(MigrationDiskKind.Replicated, 1_000_000_000, 200_000_000, attached: false), 0 },
        // 1 GB mirrored in 10 s while the guest rewrites 2 MB/s: 20 MB more.
        { "local mirror: the disk and its rewrites", Disk(MigrationDiskKind.Local, 1_000_000_000, writes: 2_000_000), 1_020_000_000 },
        { "unused local: dd of the disk", Disk(MigrationDiskKind.Local, 500_000_000, attached: false), 500_000_000 },
    };

    [Theory]
    [MemberData(nameof(CopyCases))]
    public void CopyBytes_PerKind(string name, DiskEstimate disk, long expected)
    {
        var estimate = MigrationEstimator.Estimate([disk], 0, 0, 1, Rate);
        Assert.True(expected == estimate.Disks[0].CopyBytes, $"{name}: expected {expected}, got {estimate.Disks[0].CopyBytes}");
    }

    [Fact]
    public void CopySeconds_WithADiskCopyLimit_ShouldRunEachCopyAtTheLimitAndTheStreamsAtTheLink()
    {
        // 100 MB/s link, each copy held to 10 MB/s: a 1 GB mirror takes 100 s, and the guest's 2 MB/s rewrites meanwhile add 200 MB.
        var local = Disk(MigrationDiskKind.Local, 1_000_000_000, writes: 2_000_000);
        var limited = MigrationEstimator.Estimate([local], 0, 0, 1, Rate, diskCopyBytesPerSecond: 10_000_000);
        Assert.Equal(1_200_000_000, limited.Disks[0].CopyBytes);
        Assert.Equal(120, limited.CopySeconds, 3);
        Assert.Equal(10_000_000, limited.DiskCopyLimitBytesPerSecond);

        // A limit at or above the link's rate changes nothing: 1.02 GB over 100 MB/s.
        var none = MigrationEstimator.Estimate([local], 0, 0, 1, Rate);
        var above = MigrationEstimator.Estimate([local], 0, 0, 1, Rate, diskCopyBytesPerSecond: 1_000_000_000);
        Assert.Equal(10.2, none.CopySeconds, 3);
        Assert.Equal(none.CopySeconds, above.CopySeconds, 3);
        Assert.Null(none.DiskCopyLimitBytesPerSecond);

        // The ZFS stream is not a QEMU copy: 200 MB at the link (2 s), then the bitmap copy of 3 MB at 10 MB/s (0.3 s).
        var replicated = Disk(MigrationDiskKind.Replicated, 1_000_000_000, 200_000_000, 1_000_000);
        Assert.Equal(2.3, MigrationEstimator.Estimate([replicated], 0, 0, 1, Rate, diskCopyBytesPerSecond: 10_000_000).CopySeconds, 3);
    }

    [Fact]
    public void Ram_IdleGuest_OnePassAndAShortPause()
    {
        var estimate = MigrationEstimator.Estimate([], 1_000_000_000, 0, 1, Rate);
        Assert.Equal(10, estimate.RamSeconds!.Value, 3);
        Assert.Equal(MigrationEstimator.SwitchoverWorkMs, estimate.DowntimeMs, 3);
        Assert.Equal(1_000_000_000, estimate.BytesToSend);
    }

    [Fact]
    public void Ram_BusyGuest_PassesUntilTheRestFitsTheDowntimeLimit()
    {
        // 1 GB at 100 MB/s while 10 MB/s are dirtied: 10 s, then 100 MB (1 s), then 10 MB (0.1 s: within 300 ms) at the pause.
        var estimate = MigrationEstimator.Estimate([], 1_000_000_000, 10_000_000, 1, Rate);
        Assert.Equal(11, estimate.RamSeconds!.Value, 3);
        Assert.Equal(100 + MigrationEstimator.SwitchoverWorkMs, estimate.DowntimeMs, 3);
        Assert.Equal(1_110_000_000, estimate.BytesToSend);
    }

    [Fact]
    public void Ram_DirtiedAsFastAsTheLink_DoesNotConverge()
    {
        var estimate = MigrationEstimator.Estimate([], 1_000_000_000, 100_000_000, 1, Rate);
        Assert.Null(estimate.RamSeconds);
        Assert.Null(estimate.TotalSeconds);
    }
}
