namespace Elsa.Migration.Activities.Migration.Ledger;

/// <summary>Kinds of ledger entries the migration records; <see cref="LedgerUndo"/> knows how to undo each (README.md).</summary>
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
}
