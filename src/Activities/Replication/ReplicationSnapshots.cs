using System.Globalization;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// What one replication target holds in common with the source: <c>NewestCommon</c> is the newest snapshot (same name and
/// guid) both hold, null when none; <c>Known</c> is false when the target could not be asked (its base is unknown, so
/// nothing may be pruned on the source).
/// </summary>
public sealed record TargetBase(string Target, bool Known, string? NewestCommon);

/// <summary>
/// The replication's snapshot conventions and its pure pruning decisions. Replication prunes only its own prefix
/// (<see cref="Prefix"/>), the migration's Cleanup only <c>elsa-mig-</c>, so neither destroys the other's base; and
/// replication never destroys the newest snapshot a target has in common with the source (that target's next send
/// would otherwise have to be a full one).
/// </summary>
public static class ReplicationSnapshots
{
    /// <summary>Prefix of the snapshots replication takes (the only ones it prunes).</summary>
    public const string Prefix = "elsa-repl-";

    /// <summary>User property on each replication snapshot: the id of the run (workflow instance) that took it.</summary>
    public const string RunProperty = "elsa:replication";

    /// <summary>The snapshot name of a run started at <paramref name="utc"/>: <c>elsa-repl-yyyyMMdd-HHmmss-fff</c> (sorts by time).</summary>
    public static string NameAt(DateTimeOffset utc) =>
        Prefix + utc.UtcDateTime.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);

    /// <summary>
    /// Which snapshots to destroy on one dataset: of those with <see cref="Prefix"/> (in <paramref name="snapshotsOldestFirst"/>,
    /// other names are never touched), all but the newest <paramref name="keep"/> (at least 1), except the
    /// <paramref name="protectedNames"/> (bases of incremental sends). Oldest first.
    /// </summary>
    public static IReadOnlyList<string> Prunable(IReadOnlyList<string> snapshotsOldestFirst, int keep, IReadOnlySet<string> protectedNames)
    {
        var ours = snapshotsOldestFirst.Where(s => s.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        return ours.Take(Math.Max(0, ours.Count - Math.Max(1, keep))).Where(s => !protectedNames.Contains(s)).ToList();
    }

    /// <summary>
    /// Which snapshots to destroy on the source dataset, given what each replication target has in common with it:
    /// every target's newest common snapshot is protected; when any target's base is unknown (it could not be asked),
    /// nothing is pruned (it may be that target's base).
    /// </summary>
    public static IReadOnlyList<string> PrunableOnSource(IReadOnlyList<string> snapshotsOldestFirst, int keep, IReadOnlyList<TargetBase> targets)
    {
        if (targets.Any(t => !t.Known)) return [];
        var bases = targets.Select(t => t.NewestCommon).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return Prunable(snapshotsOldestFirst, keep, bases);
    }
}
