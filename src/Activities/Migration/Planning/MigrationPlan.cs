using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// What one migration will do, set once by the planning step (Preflight, GetDiskInfo, PlanOfflineMigration) and only read after
/// that: the nodes as the site defined them, the disks, the names and endpoints. Kept in the workflow variable
/// <see cref="VariableName"/> (committed with the instance). Names are derived from the VM and disk ids, so Rollback
/// finds what a crashed step created. What the steps did since is in <see cref="MigrationState"/>.
/// </summary>
public sealed record MigrationPlan
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
    public required IReadOnlyList<DiskPlan> Disks { get; init; }

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

    /// <summary>What Preflight expected the migration to cost (null when planned by GetDiskInfo); the report after the switchover compares.</summary>
    public MigrationEstimate? Estimate { get; init; }

    /// <summary>When the migration was planned.</summary>
    public DateTimeOffset? StartedAt { get; init; }

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

    /// <summary>Reads the plan from the workflow variable; fails with what to do when no planning step has run.</summary>
    public static MigrationPlan Read(ActivityExecutionContext context) =>
        TryRead(context) ?? throw new InvalidOperationException(
            $"The workflow variable '{VariableName}' holds no migration plan: run VmMigration.Preflight (or GetDiskInfo) first and declare the variable in the workflow.");

    /// <summary>Reads the plan, or null when there is none yet (Rollback before the planning step).</summary>
    public static MigrationPlan? TryRead(ActivityExecutionContext context)
    {
        var node = context.GetVariable(VariableName);
        if (node is null) return null;
        if (node is JsonValue value && value.TryGetValue<string>(out var text))
            return string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<MigrationPlan>(text, Json);
        return node.Deserialize<MigrationPlan>(Json);
    }

    /// <summary>Stores the plan: the planning steps only (committed with the instance when the activity ends).</summary>
    public void Write(ActivityExecutionContext context) => context.SetVariable(VariableName, JsonSerializer.SerializeToNode(this, Json));

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
