namespace Elsa.Migration.Activities.Replication;

/// <summary>What a replication run did for one target: every disk sent, or why the target failed.</summary>
public sealed record TargetReplicationResult(string Target, bool Succeeded, string? Error, IReadOnlyList<DiskReplicationResult> Disks, IReadOnlyList<string> Skipped);

/// <summary>The output of <see cref="ReplicateVm"/>: one entry per target, the snapshot taken and what pruning destroyed.</summary>
public sealed record VmReplicationResult(string VmId, string SourceNode, string? Snapshot, IReadOnlyList<TargetReplicationResult> Targets, IReadOnlyList<string> Pruned,
    IReadOnlyList<string> PruneProblems)
{
    public bool Succeeded => Targets.All(t => t.Succeeded) && PruneProblems.Count == 0;
}
