using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// Prunes old replication snapshots of one disk on the source and on every target by the decisions of
/// <see cref="ReplicationSnapshots"/>: the newest common snapshot with each target is kept on both sides, and a target
/// that cannot be asked stops all pruning on the source (its base is unknown). Returns what it destroyed and the problems.
/// </summary>
public static class ReplicationPruner
{
    public static async Task<(List<string> Destroyed, List<string> Problems)> PruneAsync(ReplicatedDisk disk, ZfsDriver source, string sourceDataset,
        IReadOnlyList<ZfsDriver> targets, int keep, CancellationToken ct)
    {
        var destroyed = new List<string>();
        var problems = new List<string>();
        var bases = new List<TargetBase>();
        foreach (var target in targets)
        {
            var node = target.Node.NodeName;
            try
            {
                var common = await ZfsReplicator.NewestCommonSnapshotAsync(source, sourceDataset, target, disk.DatasetOn(node), ct).ConfigureAwait(false);
                bases.Add(new TargetBase(node, true, common?.Name));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                bases.Add(new TargetBase(node, false, null));
                problems.Add($"disk {disk.DiskId}: could not ask {node} for its snapshots ({ex.Message}), so nothing was pruned on the source");
            }
        }
        var sourceSnapshots = (await source.ListSnapshotsAsync(sourceDataset, ct).ConfigureAwait(false)).Select(s => s.Name).ToList();
        foreach (var name in ReplicationSnapshots.PrunableOnSource(sourceSnapshots, keep, bases))
            await DestroyAsync(source, sourceDataset, name, destroyed, problems, ct).ConfigureAwait(false);
        foreach (var (target, known) in targets.Zip(bases))
        {
            var dataset = disk.DatasetOn(target.Node.NodeName);
            if (!known.Known || known.NewestCommon is null) continue; // nothing we know to keep there: leave it alone
            try
            {
                var names = (await target.ListSnapshotsAsync(dataset, ct).ConfigureAwait(false)).Select(s => s.Name).ToList();
                foreach (var name in ReplicationSnapshots.Prunable(names, keep, new HashSet<string>(StringComparer.Ordinal) { known.NewestCommon }))
                    await DestroyAsync(target, dataset, name, destroyed, problems, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                problems.Add($"disk {disk.DiskId}: pruning on {target.Node.NodeName} failed: {ex.Message}");
            }
        }
        return (destroyed, problems);
    }

    private static async Task DestroyAsync(ZfsDriver zfs, string dataset, string name, List<string> destroyed, List<string> problems, CancellationToken ct)
    {
        try
        {
            await zfs.DestroyAsync(dataset + "@" + name, cancellationToken: ct).ConfigureAwait(false);
            destroyed.Add($"{zfs.Node.NodeName}:{dataset}@{name}");
        }
        catch (ZfsException ex)
        {
            problems.Add($"could not destroy {zfs.Node.NodeName}:{dataset}@{name}: {ex.Message}");
        }
    }
}
