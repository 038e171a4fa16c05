namespace Elsa.Migration.Activities.Replication;

/// <summary>How one disk reaches one target: incrementally from <see cref="From"/>, in full, or not at all (<see cref="Refusal"/>).</summary>
public sealed record ReplicationBase(string? From, bool Full, string? Refusal)
{
    /// <summary>
    /// The rule that never sends a whole disk silently and never overwrites something: incremental from the newest
    /// common snapshot when there is one and the target has nothing newer; otherwise a full send only when asked (<paramref name="fullSendIfNoBase"/>) and
    /// only into a dataset that does not exist yet (<c>recv -F</c> of a full stream would replace whatever is there).
    /// <c>newerOnTarget</c>: snapshots the target holds that are newer than the common one; the target has history the
    /// source lacks (the VM may have run there since) and <c>recv -F</c> would destroy them, so it is refused.
    /// </summary>
    public static ReplicationBase Decide(string? newestCommon, IReadOnlyList<string> newerOnTarget, bool targetExists, bool fullSendIfNoBase,
        string target, string targetDataset)
    {
        if (newestCommon is not null && newerOnTarget.Count > 0)
            return new ReplicationBase(null, false,
                $"{target}:{targetDataset} has snapshots newer than the common @{newestCommon} that the source lacks " +
                $"({string.Join(", ", newerOnTarget)}): it has diverged (the VM may have run there since) and a receive would destroy them. " +
                "Check which node holds the VM's current disks (give it as SourceNode); destroy those snapshots there only if they are stale.");
        if (newestCommon is not null) return new ReplicationBase(newestCommon, false, null);
        if (targetExists)
            return new ReplicationBase(null, false,
                $"{target}:{targetDataset} exists but has no snapshot in common with the source (same name and guid): a full send would " +
                "overwrite it, so it is refused even with FullSendIfNoBase. If that dataset is a stale copy, destroy or rename it on " +
                $"{target} and run again with FullSendIfNoBase = true.");
        if (!fullSendIfNoBase)
            return new ReplicationBase(null, false,
                $"{target} has no replica ({targetDataset} does not exist), so only a full send of the whole disk could start it: " +
                "run with FullSendIfNoBase = true to allow that first full send.");
        return new ReplicationBase(null, true, null);
    }
}
