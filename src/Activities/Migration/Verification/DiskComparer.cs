using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Migration.Verification;

/// <summary>What <see cref="DiskComparer"/> found for one disk.</summary>
/// <param name="DeviceId">The guest device id.</param>
/// <param name="BytesCompared">Bytes read and compared on each side.</param>
/// <param name="RegionsCompared">Regions compared.</param>
/// <param name="DifferentOffsets">Byte offsets of the regions that differ (at most <see cref="DiskComparer.MaxReportedDifferences"/>).</param>
/// <param name="DifferentRegions">How many regions differ in all.</param>
internal sealed record DiskComparison(string DeviceId, long BytesCompared, long RegionsCompared, IReadOnlyList<long> DifferentOffsets, long DifferentRegions)
{
    public bool Identical => DifferentRegions == 0;
}

/// <summary>
/// Compares runs of regions of a disk on the source node with the same regions on the target node, reading both
/// sides at once with <see cref="DiskRegionReader"/> (O_DIRECT) and comparing region by region in memory; several runs
/// at a time, since starting the readers dominates a sampled check.
/// </summary>
internal static class DiskComparer
{
    public const int MaxReportedDifferences = 16;

    /// <summary>Runs read at once per disk: sampled checks are many short runs, each costing two <c>dd</c> starts (guest downtime).</summary>
    public const int ParallelRuns = 4;

    /// <summary>Compares the <paramref name="runs"/> (first region, region count) of the disk on both nodes, up to <see cref="ParallelRuns"/> at a time.</summary>
    public static async Task<DiskComparison> CompareAsync(DiskPlan disk, NodeExecutor source, NodeExecutor target, long regionBytes,
        IReadOnlyList<(long First, long Count)> runs, CancellationToken ct)
    {
        var results = new (long Bytes, long Regions, List<long> Different)[runs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, runs.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelRuns, CancellationToken = ct },
            async (i, token) => results[i] = await CompareRunAsync(disk, source, target, regionBytes, runs[i].First, runs[i].Count, token));
        var different = results.SelectMany(r => r.Different).ToList();
        return new DiskComparison(disk.DeviceId, results.Sum(r => r.Bytes), results.Sum(r => r.Regions),
            different.Take(MaxReportedDifferences).ToList(), different.Count);
    }

    private static async Task<(long Bytes, long Regions, List<long> Different)> CompareRunAsync(DiskPlan disk, NodeExecutor source, NodeExecutor target,
        long regionBytes, long first, long count, CancellationToken ct)
    {
        var a = new byte[regionBytes];
        var b = new byte[regionBytes];
        long bytes = 0, regions = 0;
        var different = new List<long>();
        await using var s = DiskRegionReader.Open(source, disk.SourcePath, regionBytes, first, count);
        await using var t = DiskRegionReader.Open(target, disk.TargetPath, regionBytes, first, count);
        var (sourceEnded, targetEnded) = (false, false);
        for (var i = 0L; i < count && !sourceEnded && !targetEnded; i++)
        {
            var readA = s.ReadBlockAsync(a, ct);
            var readB = t.ReadBlockAsync(b, ct);
            var (na, nb) = (await readA, await readB);
            (sourceEnded, targetEnded) = (na < regionBytes, nb < regionBytes);
            if (na == 0 && nb == 0) break; // past the end of both (the last run may ask for more than the disk has)
            regions++;
            bytes += Math.Min(na, nb);
            if (na != nb || !a.AsSpan(0, na).SequenceEqual(b.AsSpan(0, nb))) different.Add((first + i) * regionBytes);
        }
        // A side that ended early (short disk, or dd failed) says why; the other side's rest is not needed (killed on dispose).
        if (sourceEnded == targetEnded) await Task.WhenAll(s.FinishAsync(ct), t.FinishAsync(ct));
        else await (sourceEnded ? s : t).FinishAsync(ct);
        return (bytes, regions, different);
    }

    /// <summary>Every region of a disk of <paramref name="sizeBytes"/> as one run.</summary>
    public static IReadOnlyList<(long First, long Count)> FullRuns(long sizeBytes, long regionBytes) =>
        [(0, RegionCount(sizeBytes, regionBytes))];

    /// <summary>
    /// <paramref name="samples"/> distinct random regions plus every region in <paramref name="mustInclude"/>, sorted and
    /// merged into runs of adjacent regions (one reader per run). The random regions are drawn independently of
    /// <paramref name="mustInclude"/> (<see cref="RandomRegions"/>), so a seed picks the same random regions whatever else is included.
    /// </summary>
    public static IReadOnlyList<(long First, long Count)> SampledRuns(long sizeBytes, long regionBytes, int samples, IEnumerable<long> mustInclude, Random random)
    {
        var total = RegionCount(sizeBytes, regionBytes);
        var chosen = new SortedSet<long>(mustInclude.Where(r => r >= 0 && r < total));
        chosen.UnionWith(RandomRegions(total, samples, random));
        return Runs(chosen);
    }

    /// <summary><paramref name="samples"/> distinct random region indexes out of <paramref name="total"/> (all of them when there are fewer).</summary>
    public static IReadOnlySet<long> RandomRegions(long total, int samples, Random random)
    {
        var chosen = new HashSet<long>();
        var wanted = Math.Min(total, Math.Max(0, samples));
        while (chosen.Count < wanted) chosen.Add(random.NextInt64(total));
        return chosen;
    }

    /// <summary>The regions that the byte ranges <paramref name="extents"/> touch (partly or fully), inside a disk of <paramref name="sizeBytes"/>.</summary>
    public static SortedSet<long> RegionsOf(IEnumerable<(long Offset, long Length)> extents, long sizeBytes, long regionBytes)
    {
        var total = RegionCount(sizeBytes, regionBytes);
        var regions = new SortedSet<long>();
        foreach (var (offset, length) in extents.Where(e => e.Length > 0 && e.Offset >= 0))
            for (var r = offset / regionBytes; r <= (offset + length - 1) / regionBytes && r < total; r++)
                regions.Add(r);
        return regions;
    }

    /// <summary>Sorted region indexes merged into runs of adjacent regions (one reader per run).</summary>
    public static IReadOnlyList<(long First, long Count)> Runs(IEnumerable<long> regions)
    {
        var runs = new List<(long First, long Count)>();
        foreach (var region in regions.Distinct().Order())
        {
            if (runs.Count > 0 && runs[^1].First + runs[^1].Count == region) runs[^1] = (runs[^1].First, runs[^1].Count + 1);
            else runs.Add((region, 1));
        }
        return runs;
    }

    public static long RegionCount(long sizeBytes, long regionBytes) => (sizeBytes + regionBytes - 1) / regionBytes;
}
