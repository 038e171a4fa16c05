using System.Globalization;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>Free space where a disk's target copy goes, and where it was read.</summary>
internal sealed record SpaceAt(long AvailableBytes, string At, string? Pool);

/// <summary>
/// How much the target can take for a disk, reading only: for ZFS the <c>available</c> property (ZFS's own answer,
/// with every quota, refquota and reservation on the way to the pool included) of the replica dataset, or for a new
/// dataset of its nearest existing ancestor; for directory storage <c>df</c> of the nearest existing directory.
/// A migration needs what it writes plus <see cref="HeadroomPercent"/>.
/// </summary>
internal static class TargetSpace
{
    public const int HeadroomPercent = 10;

    public static long WithHeadroom(long bytes) => bytes + bytes * HeadroomPercent / 100;

    public static async Task<SpaceAt> AvailableAsync(NodeExecutor target, DiskPlan disk, CancellationToken ct)
    {
        if (disk.TargetDataset is { } dataset)
        {
            var zfs = new ZfsDriver(target);
            var at = dataset;
            while (!await zfs.ExistsAsync(at, ct))
                at = at.Contains('/') ? at[..at.LastIndexOf('/')] : throw new InvalidOperationException(
                    $"The target pool of {dataset} does not exist on {target.NodeName}: check the storage's pool there.");
            return new SpaceAt(long.Parse(await zfs.GetPropertyAsync(at, "available", ct), CultureInfo.InvariantCulture), at, at.Split('/')[0]);
        }
        var directory = Path.GetDirectoryName(disk.TargetPath) ?? "/";
        while (!await target.PathExistsAsync(directory, ct))
            directory = Path.GetDirectoryName(directory) ?? "/";
        var df = await target.RunAsync(new NodeCommand("df", "-B1", "--output=avail", "--", directory), ct);
        var lines = df.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new SpaceAt(long.Parse(lines[^1], CultureInfo.InvariantCulture), directory, null);
    }

    /// <summary>The pool's own free space (what all disks in it share).</summary>
    public static async Task<long> PoolAvailableAsync(NodeExecutor target, string pool, CancellationToken ct) =>
        long.Parse(await new ZfsDriver(target).GetPropertyAsync(pool, "available", ct), CultureInfo.InvariantCulture);
}
