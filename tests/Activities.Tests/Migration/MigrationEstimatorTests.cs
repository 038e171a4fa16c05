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
