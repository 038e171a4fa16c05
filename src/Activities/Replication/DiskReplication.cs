using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// One disk sent to one target: what the stream carried (<c>Bytes</c>, <c>Ms</c>) and from where (<c>IncrementalFrom</c>,
/// null for a full send). <c>AlreadyThere</c>: the target already held the snapshot (a rerun), nothing was sent.
/// </summary>
public sealed record DiskReplicationResult(string Disk, string Target, string Snapshot, string? IncrementalFrom, long Bytes, double Ms, bool AlreadyThere);

/// <summary>Replication refused for a reason the operator must act on (see <see cref="ReplicationBase.Decide"/>).</summary>
public sealed class ReplicationRefusedException(string message) : Exception(message);

/// <summary>
/// Sends one dataset's snapshot to one target with <see cref="ZfsReplicator"/>, from the newest snapshot both sides hold
/// (name and guid), by the rule of <see cref="ReplicationBase"/>. Shared by the replication procedure and the offline
/// migration's final send.
/// </summary>
public static class DiskReplication
{
    public static async Task<DiskReplicationResult> SendAsync(string disk, ZfsDriver source, string sourceDataset, string snapshot,
        ZfsDriver target, string targetDataset, bool fullSendIfNoBase, CancellationToken cancellationToken)
    {
        var node = target.Node.NodeName;
        if (await target.ExistsAsync(targetDataset + "@" + snapshot, cancellationToken).ConfigureAwait(false))
            return new DiskReplicationResult(disk, node, snapshot, null, 0, 0, AlreadyThere: true);
        var common = await ZfsReplicator.NewestCommonSnapshotAsync(source, sourceDataset, target, targetDataset, cancellationToken).ConfigureAwait(false);
        var exists = common is not null || await target.ExistsAsync(targetDataset, cancellationToken).ConfigureAwait(false);
        var decision = ReplicationBase.Decide(common?.Name, await NewerOnTargetAsync(target, targetDataset, common, cancellationToken).ConfigureAwait(false),
            exists, fullSendIfNoBase, node, targetDataset);
        if (decision.Refusal is { } refusal) throw new ReplicationRefusedException($"Disk {disk}: {refusal}");
        var result = await new ZfsReplicator().SendReceiveAsync(source, sourceDataset, snapshot, decision.From, target, targetDataset,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return new DiskReplicationResult(disk, node, snapshot, decision.From, result.BytesTransferred, result.Duration.TotalMilliseconds, false);
    }

    /// <summary>The target's snapshots after the common one (by the target's own creation order).</summary>
    public static async Task<IReadOnlyList<string>> NewerOnTargetAsync(ZfsDriver target, string targetDataset, ZfsSnapshot? common, CancellationToken ct)
    {
        if (common is null) return [];
        var names = (await target.ListSnapshotsAsync(targetDataset, ct).ConfigureAwait(false)).Select(s => s.Name).ToList();
        return names.Skip(names.IndexOf(common.Name) + 1).ToList();
    }
}
