namespace Elsa.Migration.Activities.Zfs;

/// <summary>A snapshot as <c>zfs get -H -p</c> reports it. <see cref="Guid"/> is the same on both ends of a send/recv.</summary>
public sealed record ZfsSnapshot(string Dataset, string Name, ulong Guid, long CreateTxg, DateTimeOffset Creation, long Used, long Referenced)
{
    /// <summary><c>dataset@name</c>.</summary>
    public string FullName => Dataset + "@" + Name;
}

/// <summary>A filesystem or volume (zvol).</summary>
public sealed record ZfsDataset(string Name, ZfsDatasetType Type, long Used, long Available, long Referenced, string? Mountpoint);

/// <summary>Kinds of ZFS datasets this driver lists.</summary>
public enum ZfsDatasetType { Filesystem, Volume }

/// <summary>Outcome of a send | recv.</summary>
public sealed record ZfsReplicationResult(string SourceSnapshot, string? IncrementalFrom, string TargetDataset, long BytesTransferred, TimeSpan Duration)
{
    /// <summary>True when only the difference since <see cref="IncrementalFrom"/> was sent.</summary>
    public bool Incremental => IncrementalFrom is not null;
}

/// <summary>A zfs command failed. Carries the node, arguments, exit code and stderr.</summary>
public sealed class ZfsException : Exception
{
    public ZfsException(string node, IReadOnlyList<string> arguments, int exitCode, string standardError, string? hint, Exception? inner)
        : base($"zfs {string.Join(' ', arguments)} failed on node '{node}' (exit code {exitCode}): {standardError}" + (hint is null ? "" : " " + hint), inner)
    {
        Node = node;
        Arguments = arguments;
        ExitCode = exitCode;
        StandardError = standardError;
    }

    public string Node { get; }
    public IReadOnlyList<string> Arguments { get; }
    public int ExitCode { get; }
    public string StandardError { get; }
}
