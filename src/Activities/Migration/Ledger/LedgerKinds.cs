namespace Elsa.Migration.Activities.Migration.Ledger;

/// <summary>
/// Kinds of ledger entries the migration records; <see cref="LedgerUndo"/> knows how to undo each (README.md). Each
/// entry ends in one of three ways when the migration succeeds: <see cref="HandedOverAtResume"/>,
/// <see cref="RemovedAtCleanup"/> or <see cref="KeptAtCleanup"/>; when it fails, Rollback undoes what is left.
/// </summary>
public static class LedgerKinds
{
    /// <summary>The guest is frozen (details: mode). Undo: thaw.</summary>
    public const string GuestFrozen = "guest-frozen";
    /// <summary>A dirty bitmap on the source (name: node/bitmap). Undo: remove it.</summary>
    public const string DirtyBitmap = "dirty-bitmap";
    /// <summary>A ZFS snapshot taken for replication (name: dataset@snap). Undo: destroy it unless the target has it (new common base).</summary>
    public const string ZfsSnapshot = "zfs-snapshot";
    /// <summary>A replica received on the target (name: dataset). Kept on rollback: the next <c>recv -F</c> rolls it back.</summary>
    public const string ReplicaReceived = "replica-received";
    /// <summary>A non-replicated volume created on the target (name: path). Undo: delete it.</summary>
    public const string TargetVolume = "target-volume";
    /// <summary>The target QEMU (name: pid file). Undo: quit it, unless it already runs the VM.</summary>
    public const string TargetQemu = "target-qemu";
    /// <summary>An NBD client node on the source (name: node-name). Undo: <c>blockdev-del</c>.</summary>
    public const string NbdClient = "nbd-client";
    /// <summary>A block job on the source (name: job id). Undo: force cancel.</summary>
    public const string BlockJob = "block-job";
    /// <summary>The RAM migration (name: uri). Undo: <c>migrate_cancel</c> if it runs, <c>cont</c> the source if paused.</summary>
    public const string Migration = "migration";
    /// <summary>A dirty bitmap on the target (name: node/bitmap) recording what the copy passes wrote there. Undo: remove it.</summary>
    public const string TargetBitmap = "target-bitmap";
    /// <summary>A read-only NBD export on the target that VerifyDisks uses to read those bitmaps (name: export id). Undo: <c>block-export-del</c>.</summary>
    public const string TargetExport = "target-export";

    /// <summary>What becomes the VM's once it runs on the target (ResumeTarget releases them: no undo may remove them).</summary>
    public static readonly IReadOnlySet<string> HandedOverAtResume = new HashSet<string> { TargetQemu, TargetVolume };

    /// <summary>What the migration no longer needs once the VM runs on the target: Cleanup undoes them (each undo
    /// tolerates "already gone") and releases them.</summary>
    public static readonly IReadOnlySet<string> RemovedAtCleanup = new HashSet<string> { BlockJob, NbdClient, DirtyBitmap, TargetExport, TargetBitmap };

    /// <summary>What stays as it is after a successful migration (the snapshots and replica are the next replication's
    /// base; the RAM migration and the freeze are over): Cleanup only releases them.</summary>
    public static readonly IReadOnlySet<string> KeptAtCleanup = new HashSet<string> { ZfsSnapshot, ReplicaReceived, Migration, GuestFrozen };
}
