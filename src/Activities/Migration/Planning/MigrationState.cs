using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// What the steps of one migration have done so far, beside the <see cref="MigrationPlan"/> (which no step changes).
/// Each part has one owner, named on it; other steps only read it. Kept in the workflow variable
/// <see cref="VariableName"/>, so it is committed with the instance after every activity and survives a host restart.
/// </summary>
public sealed class MigrationState
{
    /// <summary>The workflow variable holding the state (created by the first step that writes it).</summary>
    public const string VariableName = "MigrationState";

    /// <summary>FreezeGuest: the guest is frozen (cleared by ThawGuest and Rollback).</summary>
    public GuestFreeze? Freeze { get; set; }

    /// <summary>ZfsReplicate and CopyDisksOffline, per disk (device id): the snapshot taken and what the send carried.</summary>
    public Dictionary<string, ReplicaUpdate> Replication { get; init; } = [];

    /// <summary>PrepareTarget, per disk: the write-tracking bitmaps it added on the target's disk node.</summary>
    public Dictionary<string, List<string>> TargetBitmaps { get; init; } = [];

    /// <summary>The copy steps (DriveMirror, BitmapMirror, WaitConvergence, CompleteMirror, MigrateUnusedDisks,
    /// CopyDisksOffline), per disk: how the disk is copied and how far.</summary>
    public Dictionary<string, DiskCopy> Copies { get; init; } = [];

    /// <summary>WaitConvergence: every copy converged; from here on the target's last-pass bitmaps record what the copies write.</summary>
    public Convergence? Converged { get; set; }

    /// <summary>LiveMigrate: the RAM migration reached pre-switchover.</summary>
    public RamMigration? Ram { get; set; }

    /// <summary>CompleteMirror: the disks were finished and <c>migrate-continue</c> sent.</summary>
    public SwitchoverDone? Switchover { get; set; }

    /// <summary>VerifyDisks: time spent comparing the disks inside the pause (ms).</summary>
    public double? VerifyDisksMs { get; set; }

    /// <summary>ResumeTarget: the VM runs on the target; never resume the source after this.</summary>
    public ResumedOnTarget? Resumed { get; set; }

    /// <summary>True once ResumeTarget resumed the VM on the target.</summary>
    public bool VmRunsOnTarget => Resumed is not null;

    /// <summary>The copy state of <paramref name="disk"/>, created empty on first use.</summary>
    public DiskCopy CopyOf(DiskPlan disk)
    {
        lock (_gate) // the disks of one step run concurrently (WaitConvergence, CompleteMirror)
            return Copies.TryGetValue(disk.DeviceId, out var copy) ? copy : Copies[disk.DeviceId] = new();
    }

    /// <summary>The replication state of <paramref name="disk"/>, created empty on first use.</summary>
    public ReplicaUpdate ReplicationOf(DiskPlan disk)
    {
        lock (_gate)
            return Replication.TryGetValue(disk.DeviceId, out var replication) ? replication : Replication[disk.DeviceId] = new();
    }

    /// <summary>The bitmaps PrepareTarget added on <paramref name="disk"/>'s target node (empty when it tracks none).</summary>
    public IReadOnlyList<string> TargetBitmapsOf(DiskPlan disk) => TargetBitmaps.TryGetValue(disk.DeviceId, out var bitmaps) ? bitmaps : [];

    private readonly Lock _gate = new();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Reads the state; empty before the first step wrote it.</summary>
    public static MigrationState Read(ActivityExecutionContext context) =>
        context.GetVariable(VariableName) is JsonObject node ? node.Deserialize<MigrationState>(Json) ?? new() : new();

    /// <summary>Writes the state back (committed with the instance when the activity ends).</summary>
    public void Write(ActivityExecutionContext context) => context.SetVariable(VariableName, JsonSerializer.SerializeToNode(this, Json));
}

/// <summary>FreezeGuest's part of the state.</summary>
public sealed record GuestFreeze(string Mode, DateTimeOffset FrozenAt);

/// <summary>One replicated disk's ZFS replication in this migration.</summary>
public sealed class ReplicaUpdate
{
    /// <summary>The snapshot this migration took (short name).</summary>
    public string? Snapshot { get; set; }
    /// <summary>The newest common snapshot the incremental send started from (null for a first full send).</summary>
    public string? BaseSnapshot { get; set; }
    /// <summary>Bytes the ZFS send stream carried.</summary>
    public long? Bytes { get; set; }
}

/// <summary>One disk's copy by QEMU (or <c>dd</c> for unused and offline disks).</summary>
public sealed class DiskCopy
{
    /// <summary>The strategy BitmapMirror chose (Native or BackupPasses); null for mirrors.</summary>
    public BitmapStrategy? Strategy { get; set; }
    /// <summary>A <see cref="Qemu.QmpSession.Mark"/> taken before this disk's current job started (its events come after it).</summary>
    public string? JobEventMark { get; set; }
    /// <summary>Bytes pushed to the target for this disk (all passes).</summary>
    public long BytesCopied { get; set; }
    /// <summary>Dirty bytes in the bitmap when the first copy pass started.</summary>
    public long? InitialDirtyBytes { get; set; }
    /// <summary>Backup passes run so far.</summary>
    public int Passes { get; set; }
    /// <summary>How many of the background passes (<see cref="Copy.PassLoop"/>) are counted in <see cref="Passes"/> already.</summary>
    public int BackgroundPasses { get; set; }
    /// <summary>A replicated disk followed by a mirror since convergence (<see cref="Copy.FollowMirror"/>): its bitmap is
    /// disabled and the switchover cancels the mirror before the final pass.</summary>
    public bool FollowMirror { get; set; }
    /// <summary>Bytes left in the disabled bitmap when the follow mirror took over: what the final pass will copy
    /// (0: nothing, the switchover skips the pass; null: not known, e.g. after a host restart, so it runs).</summary>
    public long? LeftForFinalPass { get; set; }
    /// <summary>The measured rate of the last copy pass (bytes/s).</summary>
    public double? LastPassRate { get; set; }
    /// <summary>The final pass at switchover: bytes and ms.</summary>
    public long? FinalPassBytes { get; set; }
    public double? FinalPassMs { get; set; }

    /// <summary>Counts one completed backup pass.</summary>
    internal void Count(Copy.PassResult pass)
    {
        Passes++;
        BytesCopied += pass.BytesCopied;
        LastPassRate = pass.Rate;
    }
}

/// <summary>LiveMigrate's part: the source stopped its vCPUs at pre-switchover.</summary>
public sealed record RamMigration(DateTimeOffset SwitchoverAt, string EventMark, int Passes, double Ms);

/// <summary>CompleteMirror's part: <c>migrate-continue</c> was sent and the migration completed (ms: from the
/// pre-switchover event to the first command, the disks finished, the whole switchover).</summary>
public sealed record SwitchoverDone(double ReactionMs, double DisksMs, double WorkMs);

/// <summary>WaitConvergence's part: when the copies converged and the target's last-pass bitmaps were cleared (ms).</summary>
public sealed record Convergence(DateTimeOffset At, double? LastPassMarkMs);

/// <summary>ResumeTarget's part: QEMU's downtime and the guest's pause (source STOP to target RESUME).</summary>
public sealed record ResumedOnTarget(DateTimeOffset At, long? QemuDowntimeMs, double? GuestPauseMs);
