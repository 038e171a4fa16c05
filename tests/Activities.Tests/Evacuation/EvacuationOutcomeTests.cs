using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Evacuation;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Activities.Tests.Evacuation;

/// <summary>
/// An evacuation's outcome is the worst of its VMs' (read from its journal, through the one MigrationOutcome.Decide
/// every surface uses): all moved is Migrated, a VM whose rollback failed or whose end is unknown is NeedsAttention,
/// anything else that did not move (rolled back, refused, never started) is RolledBack with one clause per VM.
/// </summary>
public sealed class EvacuationOutcomeTests
{
    private static readonly EvacuationMove[] Moves = [new("101", "a", "b"), new("102", "a", "c"), new("103", "a", "b")];

    [Fact]
    public void EveryVmMigrated_ShouldBeMigratedWithoutReason()
    {
        var journal = Journal([Plan(Moves), .. Moves.Select(m => Result(m, VmResultOutcomes.Migrated))]);

        var outcome = Decide(WorkflowStatus.Finished, null, journal);

        Assert.Equal(new MigrationOutcome(MigrationOutcomes.Migrated, null), outcome);
        Assert.True(EvacuationReport.Read(journal)!.AllMoved);
    }

    [Fact]
    public void OneRolledBackAndOneRefused_ShouldBeRolledBack_ListingEachVmThatDidNotMove()
    {
        var journal = Journal(Plan(Moves), Result(Moves[0], VmResultOutcomes.Migrated), Result(Moves[1], VmResultOutcomes.RolledBack, "'waitConvergence' failed: target gone"),
            Result(Moves[2], VmResultOutcomes.Refused, "vm-busy: VM 103 is being migrated by instance x"));

        var outcome = Decide(WorkflowStatus.Faulted, "not all moved", journal);

        Assert.Equal(MigrationOutcomes.RolledBack, outcome!.Name);
        Assert.False(outcome.Cancelled);
        Assert.Equal("1 of 3 VMs moved; VM 102 (a -> c) RolledBack: 'waitConvergence' failed: target gone; " +
                     "VM 103 (a -> b) Refused: vm-busy: VM 103 is being migrated by instance x", outcome.Reason);
        var report = EvacuationReport.Read(journal)!;
        Assert.Equal(["Migrated", "RolledBack", "Refused"], report.ToJson().Select(r => r!["outcome"]!.GetValue<string>()));
        Assert.Equal(["b", "c", "b"], report.ToJson().Select(r => r!["targetNode"]!.GetValue<string>()));
    }

    [Fact]
    public void OneVmNeedingAttention_ShouldMakeTheEvacuationNeedAttention()
    {
        var journal = Journal(Plan(Moves), Result(Moves[0], VmResultOutcomes.NeedsAttention, "Rollback failed: ..."),
            Result(Moves[1], VmResultOutcomes.RolledBack, "x"), Result(Moves[2], VmResultOutcomes.Migrated));

        Assert.Equal(MigrationOutcomes.NeedsAttention, Decide(WorkflowStatus.Faulted, "not all moved", journal)!.Name);
    }

    [Fact]
    public void AnEvacuationThatEnded_WhileAMigrationRan_ShouldNeedAttentionNamingThatInstance_AndTheRestNotStarted()
    {
        var journal = Journal(Plan(Moves), Result(Moves[0], VmResultOutcomes.Migrated), Started(Moves[1], "inst-102"));

        var outcome = Decide(WorkflowStatus.Faulted, "'migrateEach' was interrupted by a process crash", journal);

        Assert.Equal(MigrationOutcomes.NeedsAttention, outcome!.Name);
        Assert.Contains("VM 102 (a -> c) Unfinished: the evacuation ended ('migrateEach' was interrupted by a process crash) while its migration ran; " +
                        "see './elsa-migrate show inst-102'", outcome.Reason);
        Assert.Contains("VM 103 (a -> b) NotStarted: the evacuation ended ('migrateEach' was interrupted by a process crash) before this VM's turn", outcome.Reason);
    }

    [Fact]
    public void ACancelledEvacuation_ShouldBeRolledBackAndCancelled()
    {
        var journal = Journal(Plan(Moves), Result(Moves[0], VmResultOutcomes.Migrated), Result(Moves[1], VmResultOutcomes.RolledBack, "the migration was cancelled"));

        var outcome = Decide(WorkflowStatus.Cancelled, null, journal);

        Assert.Equal(MigrationOutcomes.RolledBack, outcome!.Name);
        Assert.True(outcome.Cancelled);
        Assert.Contains("VM 103 (a -> b) NotStarted", outcome.Reason);
    }

    [Fact]
    public void NoPlan_NoVm_OrStillRunning_ShouldHaveNoEvacuationOutcome()
    {
        Assert.Null(EvacuationOutcome.Decide(WorkflowStatus.Faulted, "plan failed", Journal()));
        Assert.Null(EvacuationOutcome.Decide(WorkflowStatus.Finished, null, Journal(Plan([]))));
        Assert.Null(EvacuationOutcome.Decide(WorkflowStatus.Running, null, Journal(Plan(Moves))));
        Assert.Null(Decide(WorkflowStatus.Finished, null, Journal(Plan([])))); // a procedure that moved nothing: its status decides
    }

    private static MigrationOutcome? Decide(WorkflowStatus status, string? error, IReadOnlyList<JournalEntry> journal) =>
        MigrationOutcome.Decide(status, error, journal, []);

    private static IReadOnlyList<JournalEntry> Journal(params JsonObject[] data) =>
        [.. data.Select((d, i) => new JournalEntry(i + 1, "evac", DateTimeOffset.UnixEpoch.AddSeconds(i), JournalKind.Message, "step", "Evacuation.Step", Message: "m", Data: d))];

    private static JsonObject Plan(IEnumerable<EvacuationMove> moves) =>
        new() { [EvacuationReport.PlanKey] = new JsonObject { ["node"] = "a", ["moves"] = new JsonArray([.. moves.Select(m => (JsonNode)m.ToJson())]) } };

    private static JsonObject Started(EvacuationMove move, string instanceId) =>
        new() { [EvacuationReport.StartedKey] = new JsonObject { ["vmId"] = move.VmId, ["instanceId"] = instanceId } };

    private static JsonObject Result(EvacuationMove move, string outcome, string? reason = null) =>
        new() { [EvacuationReport.ResultKey] = new VmMigrationResult(move, outcome, reason, "inst-" + move.VmId).ToJson() };
}
