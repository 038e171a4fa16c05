using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Lab.Guest;

/// <summary>The knobs of a lab VM that runs the real guest: its disks, which one the guest writes to, and how fast.</summary>
public sealed record GuestVmOptions
{
    /// <summary>The VM's disks in order (drive0, drive1...): kind and size. Unused disks are not attached.</summary>
    public IReadOnlyList<(DiskKind Kind, long SizeBytes)> Disks { get; init; } =
        [(DiskKind.Replicated, 64L << 20), (DiskKind.Local, 32L << 20)];

    /// <summary>Index in <see cref="Disks"/> of the disk that holds the guest's ext4 and its writer (must be attached and blank or ext4).</summary>
    public int DataDiskIndex { get; init; }

    /// <summary>Fsync'ed 64 KiB blocks per second the guest writes; null as fast as it can.</summary>
    public int? BlocksPerSecond { get; init; } = 20;

    /// <summary>Blocks the writer cycles over (the region of the data disk it keeps dirtying).</summary>
    public int RegionBlocks { get; init; } = 256;

    /// <summary>Guest RAM (the guest runs from its initramfs: 256 MiB is what was measured).</summary>
    public int MemoryMiB { get; init; } = 256;

    /// <summary><c>auto</c> (KVM only where /proc/cpuinfo shows vmx/svm; TCG otherwise) or <c>tcg</c>.</summary>
    public string Accel { get; init; } = "auto";
}

/// <summary>
/// Lab VMs that run the real guest (kernel + initramfs from <see cref="GuestImage"/>): the inventory profile with
/// kernel, initrd, the writer's knobs on the kernel command line, a serial log and a guest agent; and the guest's
/// console on whichever node the VM runs (after a live migration the guest prints into the target's serial log).
/// </summary>
public static class LabGuestVms
{
    /// <summary>A VM definition for the lab's storage whose QEMU boots the guest image and writes to the chosen data disk.</summary>
    public static VmDefinition DefineGuestVm(this LabEnvironment lab, string vmId, GuestImage image, GuestVmOptions? options = null)
    {
        options ??= new GuestVmOptions();
        if (options.DataDiskIndex < 0 || options.DataDiskIndex >= options.Disks.Count || options.Disks[options.DataDiskIndex].Kind == DiskKind.Unused)
            throw new ArgumentException($"DataDiskIndex {options.DataDiskIndex} must name an attached disk of the {options.Disks.Count} disks");
        // The guest names virtio-blk disks in PCI order, i.e. in the order QEMU's command line attaches them: vda, vdb...
        var attachedBefore = options.Disks.Take(options.DataDiskIndex).Count(d => d.Kind != DiskKind.Unused);
        var args = new GuestKernelArgs
        {
            DataDisk = "vd" + (char)('a' + attachedBefore),
            BlocksPerSecond = options.BlocksPerSecond,
            RegionBlocks = options.RegionBlocks,
        };
        var vm = lab.DefineVm(vmId, options.Disks);
        return vm with
        {
            Qemu = vm.Qemu with
            {
                MemoryMiB = options.MemoryMiB,
                Accel = options.Accel,
                Kernel = image.Kernel.Path,
                Initrd = image.Initrd.Path,
                Append = args.ToAppendString(),
                SerialLog = true,
                GuestAgent = true,
            },
        };
    }

    /// <summary>The guest's console on <paramref name="node"/> (its serial log there).</summary>
    public static GuestConsole GuestConsole(this LabEnvironment lab, string vmId, string node) =>
        new(lab.Inventory.RuntimePaths(vmId, node).SerialLog);

    /// <summary>The guest agent's socket on <paramref name="node"/>.</summary>
    public static string GuestAgentSocket(this LabEnvironment lab, string vmId, string node) =>
        lab.Inventory.RuntimePaths(vmId, node).GuestAgentSocket;

    /// <summary>
    /// Waits for the guest's first heartbeat on <paramref name="node"/> (booted, disk mounted, writer running); fails at
    /// once with the serial log's last lines when the guest stops itself or its QEMU exits.
    /// </summary>
    public static async Task<GuestHeartbeat> WaitForGuestBootAsync(this LabEnvironment lab, string vmId, string node, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var console = lab.GuestConsole(vmId, node);
        var manager = new QemuVmManager(lab.Inventory);
        var deadline = DateTimeOffset.UtcNow + timeout;
        // Lab-only polling of a file QEMU writes (activities wait on events instead).
        for (var round = 0; ; round++)
        {
            if (console.ReadLatest() is { } first) return first;
            if (console.FatalReason is { } fatal)
                throw new GuestFatalException($"the guest of VM {vmId} on {node} stopped itself: {fatal} (serial log {console.SerialLogPath})");
            if (round % 10 == 9 && !(await manager.StatusAsync(node, vmId, cancellationToken).ConfigureAwait(false)).ProcessAlive)
                throw new InvalidOperationException($"QEMU of VM {vmId} on {node} exited before the guest's first heartbeat. Serial log:\n" +
                    string.Join('\n', console.RecentLines));
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"VM {vmId} on {node}: no heartbeat within {timeout.TotalSeconds:0} s (TCG boots take 5-25 s). Serial log:\n" +
                    string.Join('\n', console.RecentLines));
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }
}
