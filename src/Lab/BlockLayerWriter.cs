using System.Globalization;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Lab;

/// <summary>
/// Guest-like writes without a guest: HMP <c>qemu-io DRIVE "write -P pattern offset length"</c> through QEMU's block
/// layer, so dirty bitmaps and mirrors see them. qemu-io reports to QEMU's stdout, never in the reply: verify by
/// comparing images. These writes still land while the VM is stopped.
/// </summary>
public static class BlockLayerWriter
{
    /// <summary>Writes <paramref name="length"/> bytes of <paramref name="pattern"/> at <paramref name="offset"/> of drive <paramref name="driveId"/>.</summary>
    public static Task WriteAsync(QmpClient qmp, string driveId, long offset, long length, byte pattern, CancellationToken cancellationToken = default)
    {
        NameRules.Require(driveId, NameRules.IsQemuId, "drive id");
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var line = string.Create(CultureInfo.InvariantCulture, $"qemu-io {driveId} \"write -P 0x{pattern:x2} {offset} {length}\"");
        return qmp.HumanMonitorCommandAsync(line, cancellationToken);
    }
}
