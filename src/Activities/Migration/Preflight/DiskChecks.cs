using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// Per disk, before anything exists on the target: a replicated disk has a common snapshot with its replica (name and
/// guid) and its incremental stream is estimated; a copied disk's target name is free (TargetVolumes would refuse it
/// later); the target has the space (<see cref="TargetSpace"/>). Returns the disk's estimate without its copy bytes
/// (<see cref="MigrationEstimator"/> adds them), or null when the disk refused.
/// </summary>
internal static class DiskChecks
{
    public static async Task<DiskEstimate?> CheckAsync(MigrationPlan plan, DiskPlan disk, NodeExecutor source, NodeExecutor target, string? strategy,
        double writeBytesPerSecond, PreflightFindings findings, CancellationToken ct)
    {
        var estimate = new DiskEstimate
        {
            DeviceId = disk.DeviceId,
            Kind = disk.Kind,
            Attached = disk.Attached,
            SizeBytes = disk.SizeBytes,
            WriteBytesPerSecond = disk.Attached ? writeBytesPerSecond : 0,
            Strategy = (disk.Kind, disk.Attached) switch
            {
                (MigrationDiskKind.Shared, _) => "none",
                (MigrationDiskKind.Replicated, true) => $"zfs incremental + {strategy ?? "bitmap copy"}",
                (MigrationDiskKind.Replicated, false) => "zfs incremental",
                (_, true) => "mirror",
                _ => "dd",
            },
        };
        if (disk.Kind == MigrationDiskKind.Shared) return estimate;
        long need;
        if (disk.Kind == MigrationDiskKind.Replicated)
        {
            var sourceZfs = new ZfsDriver(source);
            var targetZfs = new ZfsDriver(target);
            var dataset = disk.SourceDataset!;
            var targetDataset = disk.TargetDataset!;
            var common = await ZfsReplicator.NewestCommonSnapshotAsync(sourceZfs, dataset, targetZfs, targetDataset, ct);
            if (common is null)
            {
                findings.Refuse("common-snapshot", await targetZfs.ExistsAsync(targetDataset, ct)
                    ? $"Disk {disk.DeviceId}: {plan.TargetNode}:{targetDataset} shares no snapshot (name and guid) with {plan.SourceNode}:{dataset}; " +
                      "an incremental send is impossible and a full one would overwrite it. Check which copy is current; remove or rename the target dataset to replicate it afresh."
                    : $"Disk {disk.DeviceId}: {plan.TargetNode} has no replica {targetDataset} of {plan.SourceNode}:{dataset}. " +
                      "Replicate it first (workflows/replicate.json with FullSendIfNoBase), or mark the disk local in the inventory to copy it whole.");
                return null;
            }
            var (bytes, method) = await ReplicaStreamEstimate.EstimateAsync(sourceZfs, dataset, common, ct);
            estimate = estimate with { ZfsStreamBytes = bytes, ZfsEstimateMethod = method, BaseSnapshot = common.Name };
            need = bytes;
        }
        else
        {
            var taken = disk.TargetDataset is { } targetDataset
                ? await new ZfsDriver(target).ExistsAsync(targetDataset, ct) ? $"dataset {targetDataset}" : null
                : await target.PathExistsAsync(disk.TargetPath, ct) ? $"file {disk.TargetPath}" : null;
            if (taken is not null)
            {
                findings.Refuse("target-exists", $"Disk {disk.DeviceId}: the target {taken} already exists on {plan.TargetNode}; the migration never overwrites it. " +
                    "If it is a copy an earlier migration kept, remove or rename it; if the disk is replicated, mark it so in the inventory.");
                return null;
            }
            need = disk.SizeBytes;
        }
        var space = await TargetSpace.AvailableAsync(target, disk, ct);
        var needed = TargetSpace.WithHeadroom(need);
        if (space.AvailableBytes < needed)
            findings.Refuse("target-space", $"Disk {disk.DeviceId}: {plan.TargetNode}:{space.At} has {space.AvailableBytes} bytes free (quotas and reservations included) " +
                $"but the migration writes about {need} bytes there ({(disk.Kind == MigrationDiskKind.Replicated ? "the incremental ZFS stream" : "the whole disk")}, " +
                $"{needed} with {TargetSpace.HeadroomPercent} % headroom). Free space, raise the quota, or choose another target.");
        return estimate with
        {
            TargetNeedBytes = needed,
            TargetAvailableBytes = space.AvailableBytes,
            TargetAfterBytes = space.AvailableBytes - need,
            TargetSpaceAt = space.At,
        };
    }
}
