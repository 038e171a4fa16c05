using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>What one bitmap backup pass did.</summary>
internal sealed record PassResult(long DirtyBefore, long BytesCopied, TimeSpan Elapsed)
{
    public double Rate => BytesCopied / Math.Max(Elapsed.TotalSeconds, 1e-4);
}

/// <summary>
/// One <c>blockdev-backup sync:bitmap bitmap-mode:on-success</c> pass of a replicated disk: copies exactly the dirty
/// blocks of the migration bitmap to the target's NBD export; writes made during the pass stay dirty for the next
/// pass (the bitmap is frozen and a successor records them). Awaits <c>BLOCK_JOB_COMPLETED</c>; no polling.
/// </summary>
internal static class BackupPass
{
    public static async Task<long> DirtyBytesAsync(QmpSession qmp, DiskPlan disk, CancellationToken ct)
    {
        var node = (await qmp.Client.QueryNamedBlockNodesAsync(ct)).FirstOrDefault(n => n.NodeName == disk.NodeName)
            ?? throw new InvalidOperationException($"The source has no block node '{disk.NodeName}' for disk {disk.DeviceId}.");
        var bitmap = node.DirtyBitmaps.FirstOrDefault(b => b.Name == disk.BitmapName)
            ?? throw new InvalidOperationException(
                $"The dirty bitmap '{disk.BitmapName}' of disk {disk.DeviceId} is gone (did the source QEMU restart?). " +
                "Only a full copy is correct now: roll back and migrate again.");
        return bitmap.Count;
    }

    /// <summary>Runs one pass. <paramref name="recordInLedger"/> is false inside the switchover window (no SQLite work there).</summary>
    public static async Task<PassResult> RunAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, long? speed, TimeSpan timeout,
        bool recordInLedger, CancellationToken ct)
    {
        var dirty = await DirtyBytesAsync(qmp, disk, ct);
        var mark = qmp.LastSequence;
        var entry = recordInLedger
            ? await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "backup" })
            : null;
        var watch = Stopwatch.StartNew();
        await qmp.Client.BlockdevBackupAsync(new BlockdevBackupOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.Bitmap)
        {
            Bitmap = disk.BitmapName,
            BitmapMode = BitmapSyncMode.OnSuccess,
            Speed = speed,
        }, ct);
        if (entry is not null) await scope.ConfirmAsync(entry);
        var done = await qmp.WaitForEventAsync<BlockJobCompletedEvent>(mark, e => e.Device == disk.JobId, timeout,
            $"BLOCK_JOB_COMPLETED of backup pass {disk.JobId}", ct);
        watch.Stop();
        if (recordInLedger) await scope.ReleaseAsync(LedgerKinds.BlockJob, disk.JobId);
        if (done.Error is { } error)
            throw new InvalidOperationException($"Backup pass of disk {disk.DeviceId} to the target failed: {error}");
        var copy = scope.State.CopyOf(disk);
        copy.Passes++;
        copy.BytesCopied += done.Offset;
        var result = new PassResult(dirty, done.Offset, watch.Elapsed);
        copy.LastPassRate = result.Rate;
        return result;
    }
}
