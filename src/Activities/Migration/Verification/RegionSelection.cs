using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Migration.Planning;
namespace Elsa.Migration.Activities.Migration.Verification;

/// <summary>
/// Which regions of one disk <see cref="VerifyDisks"/> compares, and where they came from: in Sampled mode every
/// region the target's last-pass bitmap marks, for replicated disks every region QEMU copied onto the replica, random
/// regions (seeded), and the first and last region.
/// </summary>
internal sealed record RegionSelection(DiskPlan Disk, IReadOnlyList<(long First, long Count)> Runs, bool Tracked,
    long LastPassBytes, long LastPassRegions, long CopiedBytes, long CopiedRegions, long RandomRegions)
{
    /// <summary>Every region of the disk.</summary>
    public static RegionSelection Full(DiskPlan disk, bool tracked, long regionBytes) =>
        new(disk, DiskComparer.FullRuns(disk.SizeBytes, regionBytes), tracked, 0, 0, 0, 0, 0);

    /// <summary>Reads the target bitmaps (when PrepareTarget tracked this disk) and adds random and edge regions.</summary>
    public static async Task<RegionSelection> SampledAsync(MigrationScope scope, DiskPlan disk, long regionBytes, int samples, int seed)
    {
        var total = DiskComparer.RegionCount(disk.SizeBytes, regionBytes);
        var bitmaps = scope.State.TargetBitmapsOf(disk);
        var maps = bitmaps.Count == 0
            ? new Dictionary<string, IReadOnlyList<(long Offset, long Length)>>()
            : await TargetBitmapMap.ReadAsync(scope, await scope.TargetAsync(), disk, bitmaps);
        var last = maps.GetValueOrDefault(disk.LastPassBitmap) ?? [];
        var copied = maps.GetValueOrDefault(disk.CopiedBitmap) ?? [];
        var lastRegions = DiskComparer.RegionsOf(last, disk.SizeBytes, regionBytes);
        var copiedRegions = DiskComparer.RegionsOf(copied, disk.SizeBytes, regionBytes);
        // Seeded per run, the same for every disk: a test (or an operator repeating a check) can tell which regions it picks.
        var random = DiskComparer.RandomRegions(total, samples, new Random(seed));
        var runs = DiskComparer.Runs(lastRegions.Concat(copiedRegions).Concat(random).Append(0).Append(total - 1));
        return new RegionSelection(disk, runs, bitmaps.Count > 0, last.Sum(e => e.Length), lastRegions.Count,
            copied.Sum(e => e.Length), copiedRegions.Count, random.Count);
    }
}
