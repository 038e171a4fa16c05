using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>DiskComparer on real files read with dd iflag=direct (local transport), and its sampling plan.</summary>
public sealed class DiskComparerTests : IDisposable
{
    private const long Size = 8L << 20, Region = 1L << 20;
    private readonly string _dir = TestTools.CreateTempDir("elsa-diskcmp");
    private readonly NodeExecutor _local = NodeExecutor.Local("localhost");

    [Fact(Timeout = 60_000)]
    public async Task CompareFull_OfIdenticalFiles_ShouldReportEveryByteComparedAndNoDifference()
    {
        var disk = CreatePair(damageAt: null);

        var result = await DiskComparer.CompareAsync(disk, _local, _local, Region, DiskComparer.FullRuns(Size, Region), CancellationToken.None);

        Assert.True(result.Identical);
        Assert.Equal(Size, result.BytesCompared);
        Assert.Equal(8, result.RegionsCompared);
    }

    [Fact(Timeout = 60_000)]
    public async Task CompareFull_WhenOneByteDiffers_ShouldReportItsRegion()
    {
        var disk = CreatePair(damageAt: 5 * Region + 3);

        var result = await DiskComparer.CompareAsync(disk, _local, _local, Region, DiskComparer.FullRuns(Size, Region), CancellationToken.None);

        Assert.Equal(1, result.DifferentRegions);
        Assert.Equal([5 * Region], result.DifferentOffsets);
    }

    [Fact(Timeout = 60_000)]
    public async Task CompareSampled_WhenTheTargetIsShorter_ShouldReportTheLastRegionDifferent()
    {
        var disk = CreatePair(damageAt: null);
        await using (var fs = new FileStream(disk.TargetPath, FileMode.Open)) fs.SetLength(Size - 4096);

        var runs = DiskComparer.SampledRuns(Size, Region, 2, [0, 7], new Random(3));
        var result = await DiskComparer.CompareAsync(disk, _local, _local, Region, runs, CancellationToken.None);

        Assert.Contains(7 * Region, result.DifferentOffsets);
    }

    [Fact(Timeout = 60_000)]
    public async Task Compare_WhenTheTargetFileIsMissing_ShouldThrowWithDdsError()
    {
        var disk = CreatePair(damageAt: null);
        File.Delete(disk.TargetPath);

        var error = await Assert.ThrowsAsync<NodeCommandException>(() =>
            DiskComparer.CompareAsync(disk, _local, _local, Region, DiskComparer.FullRuns(Size, Region), CancellationToken.None));

        Assert.Contains("No such file", error.Message);
    }

    [Fact]
    public void SampledRuns_ShouldIncludeTheRequiredRegionsMergeNeighboursAndStayInsideTheDisk()
    {
        var runs = DiskComparer.SampledRuns(100 * Region + 1, Region, 20, [0, 1, 100], new Random(1));

        var regions = runs.SelectMany(r => Enumerable.Range(0, (int)r.Count).Select(i => r.First + i)).ToList();
        Assert.Equal(23, regions.Count);
        Assert.Equal(regions.Distinct().Order(), regions);
        Assert.Contains(0, regions);
        Assert.Contains(1, regions);
        Assert.Contains(100, regions);
        Assert.All(regions, r => Assert.InRange(r, 0, 100));
        Assert.Equal((0, 2), (runs[0].First, Math.Min(runs[0].Count, 2)));
        Assert.All(runs.Zip(runs.Skip(1)), p => Assert.True(p.First.First + p.First.Count < p.Second.First, "adjacent runs must be merged"));
    }

    [Fact]
    public void SampledRuns_AskingForMoreThanTheDisk_ShouldTakeEveryRegionOnce()
    {
        var runs = DiskComparer.SampledRuns(4 * Region, Region, 50, [], new Random(1));

        Assert.Equal([(0L, 4L)], runs);
    }

    private DiskPlan CreatePair(long? damageAt)
    {
        var data = new byte[Size];
        Random.Shared.NextBytes(data);
        var source = Path.Combine(_dir, "source.raw");
        var target = Path.Combine(_dir, "target.raw");
        File.WriteAllBytes(source, data);
        if (damageAt is { } at) data[at] ^= 0xFF;
        File.WriteAllBytes(target, data);
        return new DiskPlan
        {
            DeviceId = "vd0",
            DriveId = "drive0",
            NodeName = "disk0",
            Kind = MigrationDiskKind.Local,
            Attached = true,
            SizeBytes = Size,
            SourcePath = source,
            TargetPath = target,
            TargetLayout = "files",
        };
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
