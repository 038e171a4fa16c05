using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>What <see cref="FollowMirror.StartAsync"/> left: the event mark taken before the mirror started (its READY
/// comes after it), the bytes left in the disabled bitmap, the final pass's size (0: the switchover skips it), and how long
/// the mirror's start and the bitmap's disable took (writes in that time are in the final pass).</summary>
internal sealed record FollowMirrorStart(string EventMark, long LeftInBitmap, double HandOverMs);

/// <summary>
/// Keeps a converged replicated disk in sync during the RAM migration: a <c>blockdev-mirror sync:none</c> job (it copies
/// every write made from its start, nothing before) to the target's NBD export, then the dirty bitmap is disabled, so
/// the bitmap keeps only what was written between the last backup pass's start and the mirror's start. At the switchover
/// the mirror is soft-cancelled like any mirror and one last backup pass copies that small remainder. In that order a
/// write is never lost: one made between the mirror's start and the bitmap's disable is copied by both. Mirrors during
/// the RAM migration are the path proven here for local disks; backup passes are not (QEMU 7.2 aborts, see README).
/// </summary>
internal static class FollowMirror
{
    /// <summary>The ledger entry of the mirror, written before the pass loop hands the disk over (the undo cancels a job of
    /// this disk by its id, so an entry whose mirror never started is harmless).</summary>
    public static ValueTask<LedgerEntry> RecordAsync(MigrationScope scope, DiskPlan disk) =>
        scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "follow-mirror" });

    /// <summary>Starts the mirror and disables the bitmap, both in one write (QEMU disables it right as the mirror has
    /// started, no round trip and no other command in between): QMP only, so it can run on the pass loop the moment its
    /// last pass ends; then reads what the frozen bitmap holds.</summary>
    public static async Task<FollowMirrorStart> StartAsync(QmpSession qmp, DiskPlan disk, long? speed, CancellationToken ct)
    {
        var mark = qmp.Mark();
        var watch = Stopwatch.StartNew();
        await qmp.Client.BlockdevMirrorThenDisableBitmapAsync(
            new BlockdevMirrorOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.None) { Speed = speed }, disk.NodeName, disk.BitmapName, ct);
        var handOver = watch.Elapsed.TotalMilliseconds;
        return new FollowMirrorStart(mark, await BackupPass.DirtyBytesAsync(qmp, disk, ct), handOver);
    }
}
