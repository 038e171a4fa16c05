using System.Collections.Concurrent;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// The background backup passes of every running migration in this process, by instance id (a singleton registered
/// by <c>AddVmMigration</c>): WaitConvergence starts them, the switchover stops them, Rollback aborts them. They live
/// in memory only: after a host restart there are none, and the steps fall back to passes of their own.
/// </summary>
public sealed class PassLoops
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<PassLoop>> _byInstance = new();

    /// <summary>The loops of <paramref name="instanceId"/>, or null when none run (never started, or this process restarted).</summary>
    internal IReadOnlyList<PassLoop>? Of(string instanceId) => _byInstance.TryGetValue(instanceId, out var loops) ? loops : null;

    /// <summary>Starts <paramref name="loops"/> for <paramref name="instanceId"/>; refuses when some already run (a second WaitConvergence).</summary>
    internal void Start(string instanceId, IReadOnlyList<PassLoop> loops)
    {
        if (!_byInstance.TryAdd(instanceId, loops))
            throw new InvalidOperationException($"Background passes of instance {instanceId} already run: one WaitConvergence per migration.");
        foreach (var loop in loops) loop.Start();
    }

    /// <summary>Takes the loops of <paramref name="instanceId"/> out of the registry (the caller stops or aborts them).</summary>
    internal IReadOnlyList<PassLoop>? Take(string instanceId) => _byInstance.TryRemove(instanceId, out var loops) ? loops : null;

    /// <summary>Rollback: stops every pass of the instance at once.</summary>
    public async Task AbortAsync(string instanceId)
    {
        if (Take(instanceId) is { } loops) await Task.WhenAll(loops.Select(l => l.AbortAsync()));
    }
}
