namespace Elsa.Migration.Activities.Inventory;

/// <summary>A node of the site: how to reach it, where its QMP sockets live, and its storages.</summary>
public sealed record NodeDefinition
{
    /// <summary>Node name (lowercase letters, digits, '-').</summary>
    public string Name { get; init; } = "";

    /// <summary>How commands reach the node.</summary>
    public TransportDefinition Transport { get; init; } = new();

    /// <summary>Directory on the node for the VMs' QMP sockets, pid files, NBD and migration sockets, serial logs.</summary>
    public string QmpSocketDir { get; init; } = "";

    /// <summary>
    /// Optional address (IPv4, IPv6 without brackets, or host name) on which this node's QEMU listens when it is the
    /// migration target: its NBD server and the incoming RAM migration (TCP, ports from the migration port range).
    /// Required when the source runs on another machine. Absent on two <c>local</c> nodes (one machine): the NBD server
    /// and migration use UNIX sockets in <see cref="QmpSocketDir"/> (3-9 ms to connect instead of ~100 ms over TCP).
    /// </summary>
    public string? MigrationAddress { get; init; }

    /// <summary>Storages of this node, by id. A VM disk names a storage id; every node that may run the VM defines it.</summary>
    public IReadOnlyList<StorageDefinition> Storages { get; init; } = [];
}

/// <summary>Transport to a node: <c>local</c>, or <c>ssh</c> with host, port, user, identity file and known_hosts file.</summary>
public sealed record TransportDefinition
{
    /// <summary><c>local</c> or <c>ssh</c>.</summary>
    public string Kind { get; init; } = "local";

    public string? Host { get; init; }
    public int Port { get; init; } = 22;
    public string? User { get; init; }
    public string? IdentityFile { get; init; }
    public string? KnownHostsFile { get; init; }
}

/// <summary>
/// A storage on a node. <c>layout</c> says how a disk volume maps to a path:
/// <c>files</c>: dataset <c>pool/volume</c>, disk file <c>mountpoint/volume/file</c> (zfs-fuse has no zvols; tests use this);
/// <c>zvol</c>: dataset <c>pool/volume</c>, device <c>/dev/zvol/pool/volume</c> (real sites);
/// <c>directory</c>: no dataset, file <c>mountpoint/volume</c> (shared storage such as NFS).
/// </summary>
public sealed record StorageDefinition
{
    public string Id { get; init; } = "";
    public string Layout { get; init; } = "";

    /// <summary>Parent dataset of the volumes (files, zvol), e.g. <c>rpool/data</c>.</summary>
    public string? Pool { get; init; }

    /// <summary>Where <see cref="Pool"/> is mounted (files) or the directory (directory).</summary>
    public string? Mountpoint { get; init; }
}

/// <summary>A VM: its QEMU profile and its disks.</summary>
public sealed record VmDefinition
{
    public string Id { get; init; } = "";
    public QemuProfile Qemu { get; init; } = new();
    public IReadOnlyList<DiskDefinition> Disks { get; init; } = [];

    /// <summary>Which nodes keep a ZFS copy of the VM's replicated disks (optional; see <see cref="ReplicationDefinition"/>).</summary>
    public ReplicationDefinition? Replication { get; init; }
}

/// <summary>
/// The nodes that keep a copy of a VM's replicated disks, including the one it runs on. A replication run from node N
/// sends to every listed node but N, so after a migration the same list turns the replication around by itself.
/// </summary>
public sealed record ReplicationDefinition
{
    /// <summary>Node names (known to the inventory, no duplicates).</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>The targets of a run from <paramref name="currentNode"/>: every listed node but that one, in list order.</summary>
    public IReadOnlyList<string> TargetsFrom(string currentNode) => Nodes.Where(n => n != currentNode).ToList();
}

/// <summary>How QEMU is started for a VM, identical on every node (same device ids: required by live migration).</summary>
public sealed record QemuProfile
{
    public string Machine { get; init; } = "pc";
    public int MemoryMiB { get; init; } = 128;
    public int Cpus { get; init; } = 1;

    /// <summary><c>auto</c> (KVM only where /proc/cpuinfo shows vmx/svm, else TCG), <c>tcg</c> or <c>kvm</c>.</summary>
    public string Accel { get; init; } = "auto";

    /// <summary>Optional kernel for a real guest (absolute path, same on every node).</summary>
    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Append { get; init; }

    /// <summary>Write the guest's serial console to <c>{qmpSocketDir}/{vm}.serial.log</c>.</summary>
    public bool SerialLog { get; init; }

    /// <summary>Add a virtio-serial guest-agent channel <c>org.qemu.guest_agent.0</c> at <c>{qmpSocketDir}/{vm}.qga</c>.</summary>
    public bool GuestAgent { get; init; }
}

/// <summary>What the migration does with a disk.</summary>
public enum DiskKind
{
    /// <summary>Same storage on both nodes: nothing to copy.</summary>
    Shared,
    /// <summary>Local, not replicated: full copy.</summary>
    Local,
    /// <summary>Local and ZFS-replicated: incremental copy on top of the replica.</summary>
    Replicated,
    /// <summary>Not attached to the running VM: storage-level copy.</summary>
    Unused,
}

/// <summary>A VM disk. <see cref="Id"/> is also the QEMU drive id (BlockBackend name).</summary>
public sealed record DiskDefinition
{
    public string Id { get; init; } = "";

    /// <summary>Guest device id, e.g. <c>vd0</c> (not for unused disks).</summary>
    public string? DeviceId { get; init; }

    /// <summary>QEMU block node name, e.g. <c>disk0</c> (not for unused disks).</summary>
    public string? NodeName { get; init; }

    /// <summary><c>shared</c>, <c>local</c>, <c>replicated</c> or <c>unused</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>Storage id defined on the nodes.</summary>
    public string Storage { get; init; } = "";

    /// <summary>Volume below the storage: dataset/zvol name relative to the pool, or file name for a directory storage.</summary>
    public string Volume { get; init; } = "";

    /// <summary>File inside the dataset for the <c>files</c> layout.</summary>
    public string File { get; init; } = "disk.raw";

    /// <summary><c>raw</c> or <c>qcow2</c>.</summary>
    public string Format { get; init; } = "raw";

    public long SizeBytes { get; init; }
}

/// <summary>Where a VM disk lives on a given node.</summary>
public sealed record ResolvedDisk(string VmId, string DiskId, string Node, DiskKind Kind, string Path, string? Dataset, string Layout, string Format, long SizeBytes)
{
    /// <summary>True when the disk is a ZFS dataset or zvol (can be snapshotted and replicated).</summary>
    public bool IsZfs => Dataset is not null;
}

/// <summary>Per-VM runtime paths on a node, all inside the node's QMP socket directory.</summary>
public sealed record VmRuntimePaths(string QmpSocket, string PidFile, string NbdSocket, string MigrationSocket, string SerialLog, string GuestAgentSocket);
