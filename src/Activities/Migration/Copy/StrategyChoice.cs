using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// Which way BitmapMirror copies a replicated disk's dirty blocks, from what the source QEMU offers
/// (<c>query-qmp-schema</c>): Native where <c>blockdev-mirror</c> takes a bitmap, else backup passes. Never a silent
/// full copy: a strategy QEMU cannot do is refused with what to choose instead.
/// </summary>
internal static class StrategyChoice
{
    public static BitmapStrategy Choose(BitmapStrategy requested, QmpCapabilities capabilities) => requested switch
    {
        BitmapStrategy.Native when !capabilities.BlockdevMirrorSupportsBitmap => throw new NotSupportedException(
            $"Strategy Native needs a QEMU whose blockdev-mirror takes a bitmap (Proxmox-patched); this QEMU {capabilities.QemuVersion} has no such member " +
            "in query-qmp-schema. Use Strategy Auto or BackupPasses."),
        BitmapStrategy.BackupPasses when !capabilities.BackupSupportsBitmap => throw new NotSupportedException(
            $"Strategy BackupPasses needs blockdev-backup with a bitmap; QEMU {capabilities.QemuVersion} lacks it."),
        BitmapStrategy.Native => BitmapStrategy.Native,
        BitmapStrategy.BackupPasses => BitmapStrategy.BackupPasses,
        _ when capabilities.BlockdevMirrorSupportsBitmap => BitmapStrategy.Native,
        _ when capabilities.BackupSupportsBitmap => BitmapStrategy.BackupPasses,
        _ => throw new NotSupportedException(
            $"QEMU {capabilities.QemuVersion} offers neither a bitmap mirror nor a bitmap backup: an incremental copy is impossible. " +
            "Refusing to fall back to a full copy; migrate with the disk marked local to copy it fully."),
    };
}
