using System.Globalization;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// The few ZFS operations the migration needs (snapshot, list, incremental send piped into <c>recv -F</c>, destroy),
/// run through a node's executor with argument lists. Kept here, small, so the activities do not depend on the
/// shape of the drivers' ZFS driver; names are validated before use.
/// </summary>
internal static class ZfsCommands
{
    /// <summary>Prefix of the snapshots the migration takes (pruning touches only these).</summary>
    public const string SnapshotPrefix = "elsa-mig-";

    /// <summary>Takes snapshots of several datasets of one node in one command (atomic within a pool).</summary>
    public static Task SnapshotAsync(NodeExecutor node, IReadOnlyList<(string Dataset, string Snapshot)> snapshots, CancellationToken ct) =>
        node.RunAsync(new NodeCommand("zfs", ["snapshot", .. snapshots.Select(s => Full(s.Dataset, s.Snapshot))]), ct);

    /// <summary><c>dataset@snapshot</c>, both parts validated.</summary>
    public static string Full(string dataset, string snapshot) =>
        NameRules.Require(dataset, NameRules.IsDatasetName, "dataset name") + "@" + NameRules.Require(snapshot, NameRules.IsSnapshotName, "snapshot name");

    /// <summary>The dataset's snapshot short names, oldest first (by creation txg); empty when the dataset does not exist.</summary>
    public static async Task<IReadOnlyList<string>> ListSnapshotsAsync(NodeExecutor node, string dataset, CancellationToken ct)
    {
        var zfs = new ZfsDriver(node);
        if (!await zfs.ExistsAsync(NameRules.Require(dataset, NameRules.IsDatasetName, "dataset name"), ct)) return [];
        return (await zfs.ListSnapshotsAsync(dataset, ct)).Select(s => s.Name).ToList();
    }

    public static Task<bool> ExistsAsync(NodeExecutor node, string datasetOrSnapshot, CancellationToken ct) =>
        new ZfsDriver(node).ExistsAsync(datasetOrSnapshot, ct);

    /// <summary>The newest snapshot present on both sides (by name), or null.</summary>
    public static string? NewestCommon(IReadOnlyList<string> source, IReadOnlyList<string> target)
    {
        var onTarget = target.ToHashSet(StringComparer.Ordinal);
        return source.LastOrDefault(onTarget.Contains);
    }

    /// <summary>Streams <c>zfs send [-i base] ds@snap</c> on the source into <c>zfs recv -F target</c>; returns the stream size.</summary>
    public static async Task<long> SendReceiveAsync(NodeExecutor source, string dataset, string snapshot, string? baseSnapshot,
        NodeExecutor target, string targetDataset, IProgress<long>? progress, CancellationToken ct)
    {
        NameRules.Require(targetDataset, NameRules.IsDatasetName, "target dataset name");
        var send = baseSnapshot is null
            ? new NodeCommand("zfs", "send", Full(dataset, snapshot))
            : new NodeCommand("zfs", "send", "-i", Full(dataset, baseSnapshot), Full(dataset, snapshot));
        // -F: roll the replica back to the received snapshot (anything that touched it, even atime, breaks an incremental recv).
        var recv = new NodeCommand("zfs", "recv", "-F", targetDataset);
        var result = await new NodePipe().RunAsync(source, send, target, recv, progress, ct).ConfigureAwait(false);
        return result.BytesTransferred;
    }

    /// <summary>Destroys a snapshot; "does not exist" is success (undo must be idempotent); the driver retries <c>busy</c>.</summary>
    public static async Task DestroySnapshotAsync(NodeExecutor node, string dataset, string snapshot, CancellationToken ct)
    {
        var zfs = new ZfsDriver(node);
        var fullName = Full(dataset, snapshot);
        if (await zfs.ExistsAsync(fullName, ct)) await zfs.DestroyAsync(fullName, cancellationToken: ct);
    }
}
