using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Zfs;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// The migration's own conventions on top of the ZFS driver: its snapshot prefix, an atomic multi-dataset snapshot,
/// and undo-friendly helpers ("does not exist" is success). Replication itself is the driver's <see cref="ZfsReplicator"/>.
/// </summary>
internal static class ZfsCommands
{
    /// <summary>Prefix of the snapshots the migration takes (pruning touches only these).</summary>
    public const string SnapshotPrefix = "elsa-mig-";

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

    /// <summary>Destroys a snapshot; "does not exist" is success (undo must be idempotent); the driver retries <c>busy</c>.</summary>
    public static async Task DestroySnapshotAsync(NodeExecutor node, string dataset, string snapshot, CancellationToken ct)
    {
        var zfs = new ZfsDriver(node);
        var fullName = Full(dataset, snapshot);
        if (await zfs.ExistsAsync(fullName, ct)) await zfs.DestroyAsync(fullName, cancellationToken: ct);
    }
}
