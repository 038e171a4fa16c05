using System.Globalization;
using System.Text.RegularExpressions;

namespace Elsa.Migration.Lab.Guest;

/// <summary>How the guest's init treats a data disk without an ext filesystem.</summary>
public enum GuestDiskFormat
{
    /// <summary>Format with ext4 only when the disk is blank (first MiB all zeros); refuse anything else.</summary>
    Auto,

    /// <summary>Never format: a disk without ext4 stops the guest with <c>ELSA-FATAL</c>.</summary>
    Never,

    /// <summary>Always format at boot (loses the disk's content).</summary>
    Force,
}

/// <summary>
/// The guest's knobs, turned into the kernel command line. Knobs travel as <c>elsa_*=value</c> parameters without
/// dots: the kernel hands those to init's environment (dotted ones would be taken as module parameters).
/// </summary>
public sealed partial record GuestKernelArgs
{
    /// <summary>Size of one block the writer writes and fsyncs.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>Data disk as named under <c>/dev</c> in the guest: the first virtio-blk disk is <c>vda</c>.</summary>
    public string DataDisk { get; init; } = "vda";

    /// <summary>Whether init may format the data disk.</summary>
    public GuestDiskFormat Format { get; init; } = GuestDiskFormat.Auto;

    /// <summary>Blocks per second the writer writes; null writes as fast as the guest can.</summary>
    public int? BlocksPerSecond { get; init; } = 20;

    /// <summary>The writer cycles over this many blocks of <c>/data/elsa-writer.dat</c> (the region it dirties).</summary>
    public int RegionBlocks { get; init; } = 256;

    /// <summary>Pass <c>quiet</c> so the serial log holds little more than the guest's own lines.</summary>
    public bool QuietKernel { get; init; } = true;

    /// <summary>The <c>-append</c> string; throws <see cref="ArgumentException"/> for an invalid knob.</summary>
    public string ToAppendString()
    {
        if (!DiskName().IsMatch(DataDisk))
        {
            throw new ArgumentException($"DataDisk '{DataDisk}' must be a device name like vda (lower-case letters, then letters or digits)");
        }

        if (BlocksPerSecond is <= 0)
        {
            throw new ArgumentException($"BlocksPerSecond must be positive or null (as fast as possible), not {BlocksPerSecond}");
        }

        if (RegionBlocks <= 0)
        {
            throw new ArgumentException($"RegionBlocks must be positive, not {RegionBlocks}");
        }

        var rate = BlocksPerSecond is { } r ? r.ToString(CultureInfo.InvariantCulture) : "max";
        // panic=-1 reboots at once on a kernel panic; with QEMU's -no-reboot the VM then exits instead of hanging.
        var parts = new List<string> { "console=ttyS0" };
        if (QuietKernel)
        {
            parts.Add("quiet");
        }

        parts.Add("panic=-1");
        parts.Add($"elsa_disk={DataDisk}");
        parts.Add($"elsa_format={Format.ToString().ToLowerInvariant()}");
        parts.Add($"elsa_rate={rate}");
        parts.Add($"elsa_region_blocks={RegionBlocks.ToString(CultureInfo.InvariantCulture)}");
        return string.Join(' ', parts);
    }

    [GeneratedRegex("^[a-z][a-z0-9]{0,15}$")]
    private static partial Regex DiskName();
}
