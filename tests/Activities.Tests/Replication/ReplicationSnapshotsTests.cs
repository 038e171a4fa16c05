using Elsa.Migration.Activities.Replication;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>The pure decisions of replication: what to prune, and how a disk reaches a target.</summary>
public sealed class ReplicationSnapshotsTests
{
    private const string R1 = "elsa-repl-20261201-000000-000", R2 = "elsa-repl-20261202-000000-000", R3 = "elsa-repl-20261203-000000-000";
    private const string M1 = "elsa-mig-20261202-120000-000";

    public static TheoryData<string[], int, string[], string[]> PruneCases => new()
    {
        // snapshots oldest first, keep, protected, expected destroyed
        { [R1, R2, R3], 1, [], [R1, R2] },
        { [R1, R2, R3], 2, [], [R1] },
        { [R1, R2, R3], 1, [R1], [R2] },                 // a target's base survives although it is old
        { [R1, M1, R2, R3], 1, [], [R1, R2] },           // the migration's snapshot is never replication's to prune
        { ["repl-0", R1, R2], 1, [], [R1] },             // neither is anything without the prefix
        { [R1], 1, [], [] },
        { [R1, R2], 0, [], [R1] },                        // keep is at least 1: the newest stays
        { [], 1, [], [] },
    };

    [Theory]
    [MemberData(nameof(PruneCases))]
    public void Prunable_ShouldDestroyOnlyOldReplicationSnapshotsThatNoTargetNeeds(string[] snapshots, int keep, string[] protectedNames, string[] expected) =>
        Assert.Equal(expected, ReplicationSnapshots.Prunable(snapshots, keep, protectedNames.ToHashSet()));

    public static TheoryData<TargetBase[], string[]> SourceCases => new()
    {
        // per-target bases -> destroyed on the source (snapshots R1, M1, R2, R3; keep 1)
        { [new("b", true, R3), new("c", true, R3)], [R1, R2] },
        { [new("b", true, R3), new("c", true, R1)], [R2] },        // c failed this time: its base R1 stays
        { [new("a", true, M1), new("c", true, R2)], [R1] },        // after a migration: a's base is the migration snapshot
        { [new("b", true, R3), new("c", false, null)], [] },       // c could not be asked: its base is unknown, prune nothing
        { [new("b", true, R3), new("c", true, null)], [R1, R2] },  // c has no replica at all: nothing of it to keep
    };

    [Theory]
    [MemberData(nameof(SourceCases))]
    public void PrunableOnSource_ShouldKeepTheNewestCommonSnapshotOfEveryTarget(TargetBase[] targets, string[] expected) =>
        Assert.Equal(expected, ReplicationSnapshots.PrunableOnSource([R1, M1, R2, R3], 1, targets));

    [Theory]
    [InlineData("elsa-mig-x", false, false, "elsa-mig-x", false, null)]
    [InlineData("elsa-repl-y", true, true, "elsa-repl-y", false, null)]
    [InlineData(null, false, false, null, false, "FullSendIfNoBase = true")]
    [InlineData(null, false, true, null, true, null)]
    [InlineData(null, true, false, null, false, "exists but has no snapshot in common")]
    [InlineData(null, true, true, null, false, "exists but has no snapshot in common")]
    public void Decide_ShouldNeverSendAWholeDiskSilentlyNorIntoAnExistingDataset(string? common, bool exists, bool allowFull,
        string? from, bool full, string? refusal)
    {
        var decision = ReplicationBase.Decide(common, [], exists, allowFull, "node-c", "tank/vm-1-disk-0");

        Assert.Equal((from, full), (decision.From, decision.Full));
        if (refusal is null) Assert.Null(decision.Refusal);
        else Assert.Contains(refusal, decision.Refusal);
    }

    [Fact]
    public void NameAt_ShouldCarryThePrefixAndSortByTime() =>
        Assert.Equal("elsa-repl-20261207-031500-250", ReplicationSnapshots.NameAt(new DateTimeOffset(2026, 12, 7, 4, 15, 0, 250, TimeSpan.FromHours(1))));

    [Fact]
    public void Decide_WhenTheTargetHasSnapshotsNewerThanTheCommonOne_ShouldRefuseRatherThanDestroyThem()
    {
        var decision = ReplicationBase.Decide("elsa-mig-x", ["elsa-repl-y"], true, true, "node-a", "tank/vm-1-disk-0");

        Assert.Null(decision.From);
        Assert.False(decision.Full);
        Assert.Contains("has snapshots newer than the common @elsa-mig-x that the source lacks (elsa-repl-y)", decision.Refusal);
    }
}
