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

    /// <summary>The final pass of a disk whose bitmap was empty: not run, nothing copied.</summary>
    public static readonly PassResult Skipped = new(0, 0, TimeSpan.Zero);

    public bool WasSkipped => ReferenceEquals(this, Skipped);
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

    /// <summary>A step's pass (BitmapMirror's first, WaitConvergence's): recorded in the ledger while it runs and counted in the state.</summary>
    public static async Task<PassResult> RunRecordedAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, long? speed, TimeSpan timeout)
    {
        var entry = await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "backup" });
        var pass = await RunAsync(qmp, disk, speed, timeout, scope.Token, onStarted: () => scope.ConfirmAsync(entry).AsTask());
        await scope.ReleaseAsync(LedgerKinds.BlockJob, disk.JobId);
        scope.State.CopyOf(disk).Count(pass);
        return pass;
    }

    /// <summary>
    /// Runs one pass and returns what it copied. No ledger and no database here: the background passes and the
    /// switchover's final pass use it as is (the nbd-client entry's undo cancels a job of this disk by its fixed id).
    /// <paramref name="measureDirty"/> false skips asking the bitmap's size first (one QMP round trip fewer inside the pause).
    /// </summary>
    public static async Task<PassResult> RunAsync(QmpSession qmp, DiskPlan disk, long? speed, TimeSpan timeout, CancellationToken ct,
        Func<Task>? onStarted = null, bool measureDirty = true)
    {
        var dirty = measureDirty ? await DirtyBytesAsync(qmp, disk, ct) : -1;
        var mark = qmp.LastSequence;
        var watch = Stopwatch.StartNew();
        await qmp.Client.BlockdevBackupAsync(new BlockdevBackupOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.Bitmap)
        {
            Bitmap = disk.BitmapName,
            BitmapMode = BitmapSyncMode.OnSuccess,
            Speed = speed,
        }, ct);
        if (onStarted is not null) await onStarted();
        var done = await qmp.WaitForEventAsync<BlockJobCompletedEvent>(mark, e => e.Device == disk.JobId, timeout,
            $"BLOCK_JOB_COMPLETED of backup pass {disk.JobId}", ct);
        watch.Stop();
        if (done.Error is { } error)
            throw new InvalidOperationException($"Backup pass of disk {disk.DeviceId} to the target failed: {error}");
        return new PassResult(dirty < 0 ? done.Offset : dirty, done.Offset, watch.Elapsed);
    }
}
