using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>How a disk reaches the target (README.md, "What the demo shows"; the disk kinds of the site inventory).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationDiskKind>))]
public enum MigrationDiskKind
{
    /// <summary>On storage both nodes see: nothing to copy.</summary>
    Shared,
    /// <summary>Local to the source, not replicated: full copy (mirror when attached, storage copy when unused).</summary>
    Local,
    /// <summary>Replicated with ZFS: incremental copy on top of the replica.</summary>
    Replicated,
}

/// <summary>How a replicated disk's dirty blocks are copied (<see cref="BitmapMirror"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BitmapStrategy>))]
public enum BitmapStrategy
{
    /// <summary>Native where QEMU offers it, else backup passes.</summary>
    Auto,
    /// <summary><c>blockdev-mirror sync:bitmap</c> (Proxmox-patched QEMU only).</summary>
    Native,
    /// <summary>Repeated <c>blockdev-backup sync:bitmap bitmap-mode:on-success</c> passes (stock QEMU).</summary>
    BackupPasses,
}

/// <summary>
/// Everything the VmMigration activities share, kept in the workflow variable <see cref="VariableName"/> so it is
/// committed with the instance after every activity. Names are derived from the VM and disk ids, so rollback can find
/// what a crashed step created.
/// </summary>
public sealed class MigrationPlan
{
    /// <summary>The workflow variable holding the plan.</summary>
    public const string VariableName = "MigrationPlan";

    public required string VmId { get; init; }
    public required string SourceNode { get; init; }
    public required string TargetNode { get; init; }
    /// <summary>The registered site the plan was built from (for messages: the nodes below are what the steps use).</summary>
    public required string Site { get; init; }
    /// <summary>The source node as the site defined it when the plan was made: every later step, Rollback and crash
    /// recovery reach the node from here, never from the catalog again (a site edited mid-migration changes nothing).</summary>
    public required NodeDefinition SourceNodeDefinition { get; init; }
    /// <summary>The target node as the site defined it when the plan was made.</summary>
    public required NodeDefinition TargetNodeDefinition { get; init; }
    public required string SourceQmpSocket { get; init; }
    public required string TargetQmpSocket { get; init; }
    /// <summary>The target QEMU's pid file (the VM's pid file on the target once it runs there).</summary>
    public required string TargetPidFile { get; init; }
    /// <summary>The target's NBD server socket (transient: removed when the migration ends).</summary>
    public required string NbdSocket { get; init; }
    /// <summary>The target's incoming migration socket (transient).</summary>
    public required string MigrationSocket { get; init; }
    /// <summary>The source QEMU's pid file, when known.</summary>
    public string? SourcePidFile { get; init; }
    /// <summary>The source VM's guest-agent socket, when its profile has an agent (FreezeGuest Mode Agent).</summary>
    public string? GuestAgentSocket { get; init; }
    /// <summary>Where the target QEMU puts the VM's guest-agent socket (when its profile has an agent); Rollback removes it.</summary>
    public string? TargetGuestAgentSocket { get; init; }
    /// <summary>Where the target QEMU writes the VM's serial console (when its profile logs it); Rollback removes it.</summary>
    public string? TargetSerialLog { get; init; }
    /// <summary>The QEMU binary on the target.</summary>
    public string QemuBinary { get; init; } = "qemu-system-x86_64";
    /// <summary>The full argument list that starts the target QEMU: same device ids, disks at their target paths, QMP socket,
    /// pid file, <c>-daemonize</c>, <c>-incoming defer -S</c>.</summary>
    public required IReadOnlyList<string> TargetQemuArgs { get; init; }
    public required List<DiskPlan> Disks { get; init; }

    /// <summary>The target's <c>migrationAddress</c> when NBD and the migration stream go over TCP (nodes on different
    /// machines, see <see cref="Qemu.MigrationEndpoints"/>); null for UNIX sockets (both nodes local: one filesystem).</summary>
    public string? TargetTcpHost { get; init; }
    /// <summary>The target's NBD server port (TCP only), picked from the migration port range.</summary>
    public int NbdTcpPort { get; init; } = 60000;
    /// <summary>The target's incoming migration port (TCP only).</summary>
    public int MigrationTcpPort { get; init; } = 60001;

    [JsonIgnore]
    public string MigrationUri => TargetTcpHost is { } host
        ? $"tcp:{Nodes.NetworkAddress.ForUri(host)}:{MigrationTcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : "unix:" + MigrationSocket;

    /// <summary>Where NBD and the migration stream go, for journals: <c>tcp host:nbd / tcp:host:port</c> or the UNIX sockets.</summary>
    [JsonIgnore]
    public string EndpointsDescription => TargetTcpHost is { } h
        ? $"NBD tcp {Nodes.NetworkAddress.ForUri(h)}:{NbdTcpPort}, migration {MigrationUri}"
        : $"NBD unix:{NbdSocket}, migration {MigrationUri}";

    /// <summary>Where the target's NBD server listens and the source connects.</summary>
    [JsonIgnore]
    public Qemu.SocketAddress NbdAddress => TargetTcpHost is { } host
        ? new Qemu.InetSocketAddress(host, NbdTcpPort)
        : new Qemu.UnixSocketAddress(NbdSocket);

    /// <summary>Set by FreezeGuest, cleared by ThawGuest.</summary>
    public string? FrozenMode { get; set; }
    /// <summary>When FreezeGuest froze the guest.</summary>
    public DateTimeOffset? FrozenAt { get; set; }
    /// <summary>Set by LiveMigrate at pre-switchover: the source vCPUs are stopped.</summary>
    public DateTimeOffset? SwitchoverAt { get; set; }
    /// <summary>RAM migration passes and time until pre-switchover.</summary>
    public int? RamPasses { get; set; }
    public double? RamMigrationMs { get; set; }
    /// <summary>A source-session mark taken at pre-switchover (CompleteMirror awaits events after it).</summary>
    public string? SwitchoverEventMark { get; set; }
    /// <summary>Set by CompleteMirror once <c>migrate-continue</c> was sent: the migration can no longer be cancelled safely.</summary>
    public bool Continued { get; set; }
    /// <summary>Time CompleteMirror spent finishing the disks, and in all (ms), inside the switchover window.</summary>
    public double? SwitchoverDisksMs { get; set; }
    public double? SwitchoverWorkMs { get; set; }
    /// <summary>Set by ResumeTarget: the VM runs on the target; never resume the source after this.</summary>
    public bool TargetRunning { get; set; }
    /// <summary>QEMU's <c>downtime</c> (ms) from <c>query-migrate</c>.</summary>
    public long? QemuDowntimeMs { get; set; }
    /// <summary>Guest pause from the source STOP to the target RESUME (ms).</summary>
    public double? GuestPauseMs { get; set; }
    /// <summary>Time CompleteMirror spent clearing the target's last-pass bitmaps at pre-switchover (ms; overlapped with its job check on the source).</summary>
    public double? LastPassMarkMs { get; set; }
    /// <summary>Time VerifyDisks spent comparing the disks inside the pause (ms), when it ran.</summary>
    public double? VerifyDisksMs { get; set; }
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Every file the target QEMU creates in the target's socket directory and leaves there when it dies
    /// (the transient NBD and migration sockets aside: <see cref="NbdSocket"/>, <see cref="MigrationSocket"/>).</summary>
    [JsonIgnore]
    public IEnumerable<string> TargetRuntimeFiles =>
        new[] { TargetPidFile, TargetQmpSocket, TargetGuestAgentSocket, TargetSerialLog }.OfType<string>();

    /// <summary>The plan's two nodes and the VM's id as an inventory, for the helpers that take one (process status,
    /// run probes): runtime paths derive from the node's socket directory and the VM id only.</summary>
    public SiteInventory NodeInventory() =>
        new() { Nodes = [SourceNodeDefinition, TargetNodeDefinition], Vms = [new VmDefinition { Id = VmId }] };

    [JsonIgnore]
    public IEnumerable<DiskPlan> AttachedDisks => Disks.Where(d => d.Attached);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Reads the plan from the workflow variable; fails with what to do when GetDiskInfo has not run.</summary>
    public static MigrationPlan Read(ActivityExecutionContext context) =>
        TryRead(context) ?? throw new InvalidOperationException(
            $"The workflow variable '{VariableName}' holds no migration plan: run VmMigration.GetDiskInfo first and declare the variable in the workflow.");

    /// <summary>Reads the plan, or null when there is none yet (Rollback before GetDiskInfo).</summary>
    public static MigrationPlan? TryRead(ActivityExecutionContext context)
    {
        var node = context.GetVariable(VariableName);
        if (node is null) return null;
        if (node is JsonValue value && value.TryGetValue<string>(out var text))
            return string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<MigrationPlan>(text, Json);
        return node.Deserialize<MigrationPlan>(Json);
    }

    /// <summary>Writes the plan back (committed with the instance when the activity ends).</summary>
    public void Write(ActivityExecutionContext context) => context.SetVariable(VariableName, JsonSerializer.SerializeToNode(this, Json));

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>One disk of the VM and everything created for it.</summary>
public sealed class DiskPlan
{
    /// <summary>The guest device id (<c>-device ...,id=</c>), e.g. <c>vd0</c>: the same on both nodes.</summary>
    public required string DeviceId { get; init; }
    /// <summary>The BlockBackend (drive) id, e.g. <c>drive0</c>.</summary>
    public required string DriveId { get; init; }
    /// <summary>The format node name the jobs and bitmaps use, e.g. <c>disk0</c>.</summary>
    public required string NodeName { get; init; }
    public required MigrationDiskKind Kind { get; init; }
    /// <summary>False for a disk that belongs to the VM but is not attached to the running QEMU.</summary>
    public required bool Attached { get; init; }
    public required long SizeBytes { get; init; }
    /// <summary>The raw image path (file or zvol device) on the source node.</summary>
    public required string SourcePath { get; init; }
    /// <summary>The raw image path on the target node.</summary>
    public required string TargetPath { get; init; }
    /// <summary>The ZFS dataset holding the disk on the source (replicated disks, and local ones in a dataset).</summary>
    public string? SourceDataset { get; init; }
    /// <summary>The ZFS dataset on the target.</summary>
    public string? TargetDataset { get; init; }
    /// <summary>The target storage layout (files, zvol, directory): how a non-replicated target volume is created.</summary>
    public required string TargetLayout { get; init; }
    /// <summary>The source storage layout: how the source copy of a local disk is removed or kept after the migration.</summary>
    public string SourceLayout { get; init; } = "";

    [JsonIgnore]
    public string BitmapName => $"mig-{DeviceId}";
    [JsonIgnore]
    public string ExportName => $"mig-{DeviceId}";
    [JsonIgnore]
    public string NbdClientNode => $"mig-tgt-{DeviceId}";
    [JsonIgnore]
    public string JobId => $"mig-job-{DeviceId}";
    /// <summary>On the target: records what the last copy pass wrote (cleared at pre-switchover; TargetWriteBitmaps).</summary>
    [JsonIgnore]
    public string LastPassBitmap => $"mig-last-{DeviceId}";
    /// <summary>On the target of a replicated disk: records everything QEMU copied on top of the replica (never cleared).</summary>
    [JsonIgnore]
    public string CopiedBitmap => $"mig-copied-{DeviceId}";
    /// <summary>The read-only export VerifyDisks adds on the target to read the bitmaps.</summary>
    [JsonIgnore]
    public string VerifyExportName => $"mig-verify-{DeviceId}";

    /// <summary>Bitmaps PrepareTarget added on this disk's target node (empty when it did not track target writes).</summary>
    public List<string> TargetBitmaps { get; set; } = [];

    /// <summary>The snapshot this migration took for replication (<c>dataset@name</c> short name).</summary>
    public string? Snapshot { get; set; }
    /// <summary>The newest common snapshot the incremental send started from (null for a first full send).</summary>
    public string? BaseSnapshot { get; set; }
    /// <summary>A <see cref="QmpSession.Mark"/> taken before this disk's current job started (its events come after it).</summary>
    public string? JobEventMark { get; set; }
    /// <summary>The strategy BitmapMirror chose (Native or BackupPasses); null for mirrors.</summary>
    public BitmapStrategy? Strategy { get; set; }
    /// <summary>Bytes pushed to the target by QEMU jobs for this disk (all passes).</summary>
    public long BytesCopied { get; set; }
    /// <summary>Dirty bytes in the bitmap when the first copy pass started.</summary>
    public long? InitialDirtyBytes { get; set; }
    /// <summary>The final pass at switchover: bytes and ms.</summary>
    public long? FinalPassBytes { get; set; }
    public double? FinalPassMs { get; set; }
    /// <summary>Backup passes run so far.</summary>
    public int Passes { get; set; }
    /// <summary>Bytes the ZFS send stream carried.</summary>
    public long? ReplicationBytes { get; set; }
    /// <summary>The measured rate of the last copy pass (bytes/s).</summary>
    public double? LastPassRate { get; set; }
}
