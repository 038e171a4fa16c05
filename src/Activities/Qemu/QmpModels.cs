using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary><c>query-status</c>.</summary>
public sealed record VmStatus(bool Running, RunState Status);

/// <summary>A dirty bitmap as <c>query-block</c> / <c>query-named-block-nodes</c> show it. <see cref="Count"/> is in bytes (rounded to granularity). A mirror's internal bitmap has no name.</summary>
public sealed record DirtyBitmapInfo(string? Name, long Count, long Granularity, bool Recording, bool Busy, bool Persistent);

/// <summary>The medium inserted in a block device (<c>query-block</c> <c>inserted</c>).</summary>
public sealed record InsertedMedium(string NodeName, string File, string Driver, bool ReadOnly, long VirtualSize, IReadOnlyList<DirtyBitmapInfo> DirtyBitmaps);

/// <summary>One entry of <c>query-block</c>: a BlockBackend (<see cref="Device"/> is the drive id, empty for -blockdev backends).</summary>
public sealed record BlockDeviceInfo(string Device, string? QdevPath, InsertedMedium? Inserted)
{
    /// <summary>Finds a bitmap by name on the inserted medium.</summary>
    public DirtyBitmapInfo? FindBitmap(string name) => Inserted?.DirtyBitmaps.FirstOrDefault(b => b.Name == name);
}

/// <summary>One entry of <c>query-named-block-nodes</c>.</summary>
public sealed record BlockNodeInfo(string NodeName, string Driver, string File, long VirtualSize, IReadOnlyList<DirtyBitmapInfo> DirtyBitmaps);

/// <summary>One entry of <c>query-block-jobs</c>. For a mirror, progress is <see cref="Offset"/>/<see cref="Length"/>; Length grows when data is re-dirtied.</summary>
public sealed record BlockJobInfo(string Device, BlockJobType Type, long Length, long Offset, long Speed, bool Busy, bool Paused, bool Ready, JobStatus Status, string? Error);

/// <summary>RAM statistics of <c>query-migrate</c>.</summary>
public sealed record MigrationRamStats(long Transferred, long Remaining, long Total, long Duplicate, long Normal, long NormalBytes, long DirtyPagesRate, double Mbps, long DirtySyncCount);

/// <summary><c>query-migrate</c>. Times are in milliseconds as QEMU reports them; <c>DowntimeMs</c> is set once completed.</summary>
public sealed record MigrationInfo(MigrationStatus Status, long? TotalTimeMs, long? DowntimeMs, long? ExpectedDowntimeMs, long? SetupTimeMs, MigrationRamStats? Ram, string? ErrorDescription);

/// <summary>Where an NBD server listens or an NBD client connects.</summary>
public abstract record SocketAddress
{
    internal abstract JsonObject ToLegacyJson();
    internal abstract JsonObject ToFlatJson();
}

/// <summary>A UNIX socket path (fast on one machine: 3-9 ms to connect).</summary>
public sealed record UnixSocketAddress(string Path) : SocketAddress
{
    internal override JsonObject ToLegacyJson() => new() { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = Path } };
    internal override JsonObject ToFlatJson() => new() { ["type"] = "unix", ["path"] = Path };
}

/// <summary>A TCP host and port.</summary>
public sealed record InetSocketAddress(string Host, int Port) : SocketAddress
{
    internal override JsonObject ToLegacyJson() => new() { ["type"] = "inet", ["data"] = new JsonObject { ["host"] = Host, ["port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
    internal override JsonObject ToFlatJson() => new() { ["type"] = "inet", ["host"] = Host, ["port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary>Arguments of <c>blockdev-mirror</c>. <see cref="Bitmap"/> only works on QEMUs that support it (see <see cref="QmpCapabilities.NativeBitmapMirror"/>).</summary>
public sealed record BlockdevMirrorOptions(string JobId, string Device, string Target, SyncMode Sync = SyncMode.Full)
{
    public long? Speed { get; init; }
    public MirrorCopyMode? CopyMode { get; init; }
    public long? Granularity { get; init; }
    public bool? AutoFinalize { get; init; }
    public bool? AutoDismiss { get; init; }
    public string? Bitmap { get; init; }
    public BitmapSyncMode? BitmapMode { get; init; }
}

/// <summary>Arguments of <c>blockdev-backup</c>; with <see cref="SyncMode.Bitmap"/> it copies only the dirty blocks of <see cref="Bitmap"/>.</summary>
public sealed record BlockdevBackupOptions(string JobId, string Device, string Target, SyncMode Sync = SyncMode.Full)
{
    public string? Bitmap { get; init; }
    public BitmapSyncMode? BitmapMode { get; init; }
    public long? Speed { get; init; }
    public bool? AutoFinalize { get; init; }
    public bool? AutoDismiss { get; init; }
}

/// <summary>Migration parameters this project sets. Null members are left unchanged.</summary>
public sealed record MigrationParameters
{
    /// <summary>Bytes per second.</summary>
    public long? MaxBandwidth { get; init; }

    /// <summary>Maximum tolerated downtime.</summary>
    public TimeSpan? DowntimeLimit { get; init; }
}

/// <summary>An action inside a QMP <c>transaction</c>: all actions happen atomically, at the same instant.</summary>
public abstract record TransactionAction
{
    internal abstract JsonObject ToJson();

    private protected static JsonObject Action(string type, JsonObject data) => new() { ["type"] = type, ["data"] = data };
}

/// <summary><c>block-dirty-bitmap-add</c> inside a transaction.</summary>
public sealed record AddBitmapAction(string Node, string Name, long? Granularity = null, bool Persistent = false) : TransactionAction
{
    internal override JsonObject ToJson() => Action("block-dirty-bitmap-add", QmpArgs.Bitmap(Node, Name, Granularity, Persistent));
}

/// <summary><c>block-dirty-bitmap-clear</c> inside a transaction.</summary>
public sealed record ClearBitmapAction(string Node, string Name) : TransactionAction
{
    internal override JsonObject ToJson() => Action("block-dirty-bitmap-clear", new JsonObject { ["node"] = Node, ["name"] = Name });
}

/// <summary><c>block-dirty-bitmap-remove</c> inside a transaction.</summary>
public sealed record RemoveBitmapAction(string Node, string Name) : TransactionAction
{
    internal override JsonObject ToJson() => Action("block-dirty-bitmap-remove", new JsonObject { ["node"] = Node, ["name"] = Name });
}

/// <summary><c>blockdev-backup</c> inside a transaction.</summary>
public sealed record BlockdevBackupAction(BlockdevBackupOptions Options) : TransactionAction
{
    internal override JsonObject ToJson() => Action("blockdev-backup", QmpArgs.Backup(Options));
}
