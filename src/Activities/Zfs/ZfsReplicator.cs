using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Zfs;

/// <summary>
/// Replicates a dataset between two nodes: <c>zfs send [-i]</c> on the source streamed into <c>zfs recv -F</c> on the
/// target, process to process (nothing buffered in memory), and finds the newest snapshot both sides share.
/// </summary>
public sealed class ZfsReplicator
{
    private readonly NodePipe _pipe;
    private readonly ILogger _logger;

    public ZfsReplicator(NodePipe? pipe = null, ILogger? logger = null)
    {
        _pipe = pipe ?? new NodePipe(logger);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Sends <paramref name="sourceDataset"/>@<paramref name="snapshot"/> to <paramref name="targetDataset"/> on the target
    /// node: incrementally from <paramref name="fromSnapshot"/> when given (the target must hold it), otherwise in full.
    /// <c>recv -F</c> rolls the target back to its last snapshot first, so reads of the replica (atime) do not break it.
    /// </summary>
    public async Task<ZfsReplicationResult> SendReceiveAsync(ZfsDriver source, string sourceDataset, string snapshot, string? fromSnapshot,
        ZfsDriver target, string targetDataset, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var send = ZfsDriver.SendCommand(sourceDataset, snapshot, fromSnapshot);
        var recv = ZfsDriver.ReceiveCommand(targetDataset);
        NodePipeResult result;
        try
        {
            result = await _pipe.RunAsync(source.Node, send, target.Node, recv, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeCommandException ex)
        {
            var failing = ReferenceEquals(ex.Command, recv) ? target : source;
            throw failing.Error(ex.Command.Arguments, ex.ExitCode, ex.StandardError, ex);
        }
        _logger.LogInformation("Replicated {Source}@{Snapshot} ({Mode}) to {Target} on {Node}: {Bytes} bytes in {Ms} ms",
            sourceDataset, snapshot, fromSnapshot is null ? "full" : "incremental from " + fromSnapshot, targetDataset,
            target.Node.NodeName, result.BytesTransferred, (long)result.Duration.TotalMilliseconds);
        return new ZfsReplicationResult(sourceDataset + "@" + snapshot, fromSnapshot, targetDataset, result.BytesTransferred, result.Duration);
    }

    /// <summary>
    /// The newest snapshot of <paramref name="sourceDataset"/> that <paramref name="targetDataset"/> also holds (same name
    /// and same guid, so it really is the same snapshot), or null when there is none or the target does not exist.
    /// </summary>
    public static async Task<ZfsSnapshot?> NewestCommonSnapshotAsync(ZfsDriver source, string sourceDataset, ZfsDriver target, string targetDataset,
        CancellationToken cancellationToken = default)
    {
        if (!await target.ExistsAsync(targetDataset, cancellationToken).ConfigureAwait(false)) return null;
        var sourceSnapshots = await source.ListSnapshotsAsync(sourceDataset, cancellationToken).ConfigureAwait(false);
        var targetSnapshots = (await target.ListSnapshotsAsync(targetDataset, cancellationToken).ConfigureAwait(false))
            .Select(s => (s.Name, s.Guid)).ToHashSet();
        return sourceSnapshots.LastOrDefault(s => targetSnapshots.Contains((s.Name, s.Guid)));
    }
}
