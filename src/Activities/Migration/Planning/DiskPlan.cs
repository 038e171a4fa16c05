using System.Text.Json.Serialization;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>One disk of the VM as planned: where it is on both nodes, how it moves, and the names of what the migration
/// creates for it (derived from the device id, so Rollback finds them). Set once; what the steps did is in <see cref="MigrationState"/>.</summary>
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
}
