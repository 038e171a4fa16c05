namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>
/// What Preflight expects the migration to cost, from live measurements that changed nothing (set once, with the plan;
/// the report after the switchover puts the actuals next to it). Times follow from the bytes and the node pair's link
/// rate (<see cref="Preflight.MigrationEstimator"/>).
/// </summary>
public sealed record MigrationEstimate
{
    public required IReadOnlyList<DiskEstimate> Disks { get; init; }
    /// <summary>The guest's RAM (<c>query-memory-size-summary</c>).</summary>
    public long RamBytes { get; init; }
    /// <summary>RAM the guest dirties per second (<c>calc-dirty-rate</c>, page sampling over <see cref="DirtyRateSampleSeconds"/>).</summary>
    public long RamDirtyBytesPerSecond { get; init; }
    public int DirtyRateSampleSeconds { get; init; }
    public double LinkBytesPerSecond { get; init; }
    /// <summary><c>measured</c> (an earlier migration of this node pair) or <c>configured</c>.</summary>
    public string LinkRateSource { get; init; } = "configured";
    public DateTimeOffset? LinkRateMeasuredAt { get; init; }
    /// <summary>The procedure's limit on each disk copy (its <c>DiskBandwidth</c>), when it set one: the copies' rate when below the link's.</summary>
    public long? DiskCopyLimitBytesPerSecond { get; init; }
    /// <summary>ZFS sends and disk copies before the RAM migration starts.</summary>
    public double CopySeconds { get; init; }
    /// <summary>The RAM migration up to the switchover; null when the guest dirties RAM as fast as the link carries it (it would not converge).</summary>
    public double? RamSeconds { get; init; }
    /// <summary>The guest's pause at the switchover.</summary>
    public double DowntimeMs { get; init; }
    /// <summary>The whole migration (null when the RAM would not converge).</summary>
    public double? TotalSeconds => RamSeconds is { } ram ? CopySeconds + ram + DowntimeMs / 1000 : null;
    /// <summary>Bytes over the wire: every disk's ZFS stream and copy, and the RAM with what it dirties meanwhile.</summary>
    public long BytesToSend { get; init; }
}

/// <summary>One disk's part of the estimate.</summary>
public sealed record DiskEstimate
{
    public required string DeviceId { get; init; }
    public required MigrationDiskKind Kind { get; init; }
    public required bool Attached { get; init; }
    /// <summary>How it moves: <c>zfs incremental + Native|BackupPasses</c>, <c>mirror</c>, <c>dd</c>, <c>zfs incremental</c>, <c>none</c>.</summary>
    public required string Strategy { get; init; }
    public long SizeBytes { get; init; }
    /// <summary>The incremental ZFS stream (replicated disks), and how it was estimated.</summary>
    public long? ZfsStreamBytes { get; init; }
    public string? ZfsEstimateMethod { get; init; }
    /// <summary>The newest snapshot both nodes hold (the stream's base).</summary>
    public string? BaseSnapshot { get; init; }
    /// <summary>Bytes QEMU (or <c>dd</c>) copies: the bitmap-tracked region, the whole disk for a mirror.</summary>
    public long CopyBytes { get; init; }
    /// <summary>What the guest writes to the disk per second now (<c>query-blockstats</c> over the dirty-rate sample).</summary>
    public double WriteBytesPerSecond { get; init; }
    public long BytesToSend => (ZfsStreamBytes ?? 0) + CopyBytes;
    /// <summary>Space the target needs for it (with headroom), what is free there now and after.</summary>
    public long TargetNeedBytes { get; init; }
    public long? TargetAvailableBytes { get; init; }
    public long? TargetAfterBytes { get; init; }
    /// <summary>Where the free space was read (a dataset, or a directory for <c>directory</c> storage).</summary>
    public string? TargetSpaceAt { get; init; }
}
