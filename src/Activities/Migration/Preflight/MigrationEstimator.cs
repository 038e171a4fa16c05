using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// Turns Preflight's measurements into bytes and times (pure, table-tested). Disks first: every ZFS stream, then the
/// QEMU copies (a replicated disk copies what the guest writes while the streams run, a mirror the whole disk plus what
/// the guest writes meanwhile, an unused disk its size), all over the node pair's link rate. Then the RAM as QEMU's
/// pre-copy does it: a pass sends what the previous one left dirty, until what is left would go within QEMU's
/// downtime limit; that last part is the downtime, plus the switchover's own work.
/// </summary>
public static class MigrationEstimator
{
    /// <summary>QEMU's default <c>downtime-limit</c>.</summary>
    public static readonly TimeSpan DowntimeLimit = TimeSpan.FromMilliseconds(300);

    /// <summary>The switchover's own work (CompleteMirror's final pass and commands): 35-72 ms measured on the lab.</summary>
    public const double SwitchoverWorkMs = 50;

    /// <summary>Snapshot, target start and job setup before the copies run, during which the guest keeps writing.</summary>
    public const double SetupSeconds = 1;

    private const int MaxRamPasses = 30;

    /// <summary>The estimate from each disk (kind, strategy, size, ZFS stream, write rate; its copy bytes are filled in here),
    /// the guest's RAM and dirty rate (sampled over <paramref name="sampleSeconds"/>) and the node pair's <paramref name="link"/> rate;
    /// <paramref name="diskCopyBytesPerSecond"/> is the procedure's limit on each QEMU disk copy (null or 0: none), which
    /// the copies then run at when it is below the link's rate (the ZFS streams are not limited by it).</summary>
    public static MigrationEstimate Estimate(IReadOnlyList<DiskEstimate> disks, long ramBytes, long ramDirtyBytesPerSecond, int sampleSeconds, LinkRate link,
        long? diskCopyBytesPerSecond = null)
    {
        var rate = Math.Max(link.BytesPerSecond, 1);
        var copyRate = diskCopyBytesPerSecond is > 0 and var limit ? Math.Min(rate, limit) : rate;
        var zfsSeconds = disks.Sum(d => d.ZfsStreamBytes ?? 0) / rate;
        var withCopies = disks.Select(d => d with { CopyBytes = CopyBytes(d, zfsSeconds, copyRate) }).ToList();
        var diskBytes = withCopies.Sum(d => d.BytesToSend);
        // The streams at the link's rate, then the copies: together at most the link, each at most the limit (several
        // disks copy at once). Without a limit that is every byte over the link, as before.
        var copyBytes = withCopies.Sum(d => d.CopyBytes);
        var largestCopy = withCopies.Select(d => d.CopyBytes).DefaultIfEmpty(0).Max();
        var copySeconds = zfsSeconds + Math.Max(copyBytes / rate, largestCopy / copyRate);
        var (ramSent, ramSeconds, lastPass) = Precopy(ramBytes, ramDirtyBytesPerSecond, rate);
        var writing = withCopies.Where(d => d.Attached && d.Kind != MigrationDiskKind.Shared).Sum(d => d.WriteBytesPerSecond);
        var downtimeSeconds = lastPass / rate + writing * DowntimeLimit.TotalSeconds / rate;
        return new MigrationEstimate
        {
            Disks = withCopies,
            RamBytes = ramBytes,
            RamDirtyBytesPerSecond = ramDirtyBytesPerSecond,
            DirtyRateSampleSeconds = sampleSeconds,
            LinkBytesPerSecond = link.BytesPerSecond,
            LinkRateSource = link.Source,
            LinkRateMeasuredAt = link.MeasuredAt,
            DiskCopyLimitBytesPerSecond = diskCopyBytesPerSecond is > 0 ? diskCopyBytesPerSecond : null,
            CopySeconds = copySeconds,
            RamSeconds = ramSeconds,
            DowntimeMs = downtimeSeconds * 1000 + SwitchoverWorkMs,
            BytesToSend = diskBytes + ramSent,
        };
    }

    private static long CopyBytes(DiskEstimate disk, double zfsSeconds, double rate) => (disk.Kind, disk.Attached) switch
    {
        (MigrationDiskKind.Shared, _) => 0,
        // The bitmap tracks what the guest writes from before the snapshot until the copy: the streams and the setup.
        (MigrationDiskKind.Replicated, true) => Math.Min(disk.SizeBytes, (long)(disk.WriteBytesPerSecond * (zfsSeconds + SetupSeconds))),
        (MigrationDiskKind.Replicated, false) => 0,
        // A full mirror, and what the guest rewrites while it runs.
        (MigrationDiskKind.Local, true) => disk.SizeBytes + Math.Min(disk.SizeBytes, (long)(disk.WriteBytesPerSecond * disk.SizeBytes / rate)),
        _ => disk.SizeBytes,
    };

    /// <summary>QEMU's pre-copy: bytes sent, seconds to the switchover (null: it would not converge), and what is left for the pause.</summary>
    private static (long Sent, double? Seconds, double LastPass) Precopy(long ramBytes, long dirtyRate, double rate)
    {
        if (ramBytes <= 0) return (0, 0, 0);
        if (dirtyRate >= rate) return (ramBytes, null, ramBytes);
        double left = ramBytes, sent = 0, seconds = 0;
        for (var pass = 0; pass < MaxRamPasses; pass++)
        {
            var passSeconds = left / rate;
            sent += left;
            seconds += passSeconds;
            left = Math.Min(ramBytes, dirtyRate * passSeconds);
            if (left / rate <= DowntimeLimit.TotalSeconds) break;
        }
        return ((long)(sent + left), seconds, left); // the rest goes during the pause
    }
}
