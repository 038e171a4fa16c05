using System.Globalization;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>How to start a VM's QEMU on a node.</summary>
public sealed record QemuStartOptions
{
    /// <summary>Start as a migration target: <c>-incoming defer -S</c> (without -S the target resumes on its own the moment migration completes, while its NBD export is still open).</summary>
    public bool Incoming { get; init; }

    /// <summary>Accelerator override; default from the profile (<c>auto</c>: KVM only with vmx/svm in /proc/cpuinfo).</summary>
    public string? Accel { get; init; }

    /// <summary>QEMU binary.</summary>
    public string Binary { get; init; } = "qemu-system-x86_64";
}

/// <summary>
/// Builds the QEMU argument list for a VM from its inventory profile: the same device ids on every node,
/// <c>cache=none</c> (no host page cache: no flush at stop, snapshots see completed writes),
/// <c>-nodefaults -display none</c>, a QMP socket and pid file in the node's socket dir, and <c>-daemonize</c>.
/// </summary>
public static class QemuCommandLine
{
    /// <summary>The command that starts the VM on the node.</summary>
    public static NodeCommand Build(SiteInventory inventory, string nodeName, string vmId, QemuStartOptions options, bool hostHasHardwareVirtualization)
    {
        var vm = inventory.GetVm(vmId);
        var paths = inventory.RuntimePaths(vmId, nodeName);
        var q = vm.Qemu;
        var accel = options.Accel ?? q.Accel;
        var useKvm = accel == "kvm" || (accel == "auto" && hostHasHardwareVirtualization);
        var args = new List<string>
        {
            "-name", vm.Id,
            "-nodefaults",
            "-display", "none",
            "-machine", q.Machine,
            "-accel", useKvm ? "kvm" : "tcg",
            "-m", q.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-smp", q.Cpus.ToString(CultureInfo.InvariantCulture),
            "-qmp", $"unix:{paths.QmpSocket},server=on,wait=off",
            "-pidfile", paths.PidFile,
            "-daemonize",
        };
        // -cpu host/max crash here under KVM-PVM; qemu64 without pni is what boots (see the facts doc).
        if (useKvm) args.AddRange(["-cpu", "qemu64,-pni"]);
        foreach (var disk in vm.Disks.Where(d => d.Kind != "unused"))
        {
            var resolved = inventory.ResolveDisk(vm.Id, disk.Id, nodeName);
            args.AddRange(["-drive", $"file={resolved.Path},format={disk.Format},if=none,id={disk.Id},node-name={disk.NodeName},cache=none,aio=threads"]);
            args.AddRange(["-device", $"virtio-blk-pci,drive={disk.Id},id={disk.DeviceId}"]);
        }
        if (q.Kernel is not null) args.AddRange(["-kernel", q.Kernel]);
        if (q.Initrd is not null) args.AddRange(["-initrd", q.Initrd]);
        if (q.Append is not null) args.AddRange(["-append", q.Append]);
        if (q.SerialLog) args.AddRange(["-serial", "file:" + paths.SerialLog]);
        if (q.GuestAgent)
        {
            args.AddRange(["-chardev", $"socket,path={paths.GuestAgentSocket},server=on,wait=off,id=qga0"]);
            args.AddRange(["-device", "virtio-serial-pci,id=vser0"]);
            args.AddRange(["-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0,id=qga0port"]);
        }
        if (options.Incoming) args.AddRange(["-incoming", "defer", "-S"]);
        return new NodeCommand(options.Binary, args);
    }

    /// <summary>True when /proc/cpuinfo (text) shows vmx or svm, i.e. KVM can run a real guest.</summary>
    public static bool CpuInfoHasHardwareVirtualization(string cpuInfo) =>
        cpuInfo.Split('\n').Any(line => line.StartsWith("flags", StringComparison.Ordinal) &&
            line.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries).Any(f => f is "vmx" or "svm"));
}
