using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Copy;

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
    /// <summary>Starts the mirror (in the ledger as the disk's block job) and disables the bitmap; returns the event mark
    /// taken before the job started (its READY comes after it).</summary>
    public static async Task<string> StartAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, long? speed)
    {
        var mark = qmp.Mark();
        var entry = await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "follow-mirror" });
        await qmp.Client.BlockdevMirrorAsync(new BlockdevMirrorOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.None) { Speed = speed }, scope.Token);
        await scope.ConfirmAsync(entry);
        await qmp.Client.BlockDirtyBitmapDisableAsync(disk.NodeName, disk.BitmapName, scope.Token);
        return mark;
    }
}
