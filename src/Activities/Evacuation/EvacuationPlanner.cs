namespace Elsa.Migration.Activities.Evacuation;

/// <summary>The pure decisions of an evacuation plan: which target each VM goes to, and how many move at once.</summary>
public static class EvacuationPlanner
{
    /// <summary>Each VM to the next target in turn (round-robin in the order given), all from <paramref name="node"/>.</summary>
    public static IReadOnlyList<EvacuationMove> Assign(string node, IReadOnlyList<string> vmIds, IReadOnlyList<string> targets)
    {
        if (targets.Count == 0)
            throw new ArgumentException("No target node: give TargetNode (one node, or several separated by commas to spread the VMs over).");
        if (targets.FirstOrDefault(t => t == node) is { } same)
            throw new ArgumentException($"The target node {same} is the node being evacuated: give other nodes as TargetNode.");
        return [.. vmIds.Select((vm, i) => new EvacuationMove(vm, node, targets[i % targets.Count]))];
    }

    /// <summary>
    /// How many migrations run at once: <paramref name="requested"/>, never above the host's per-node limit (every
    /// migration of an evacuation touches the evacuated node, so more at once would only be refused). Returns the
    /// number and, when it was lowered, the sentence that says so.
    /// </summary>
    public static (int MaxParallel, string? Clamped) Parallelism(int requested, int? hostLimitPerNode)
    {
        if (requested < 1)
            throw new ArgumentException($"MaxParallel is {requested}: give at least 1 (how many VMs migrate at once).");
        if (hostLimitPerNode is { } limit && requested > limit)
            return (limit, $"MaxParallel {requested} is above the host's limit of {limit} migrations per node (Migrations:MaxConcurrentPerNode): " +
                           $"{limit} at a time");
        return (requested, null);
    }
}
