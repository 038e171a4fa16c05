using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>The outcome decision table: status + journal + ledger → Migrated / RolledBack / NeedsAttention / Refused (or none).</summary>
public sealed class MigrationOutcomeTests
{
    private const string GetDiskInfo = "VmMigration.GetDiskInfo";
    private const string LiveMigrate = "VmMigration.LiveMigrate";

    public static TheoryData<string, WorkflowStatus, JournalEntry[], LedgerEntry[], string?, string?> Cases() => new()
    {
        { "success", WorkflowStatus.Finished, [Started("g", GetDiskInfo), Done("g", GetDiskInfo), Done("r", MigrationOutcome.ResumeTargetType)], [Unreleased("target-qemu")],
            MigrationOutcomes.Migrated, null },
        { "refused at GetDiskInfo, rolled back, faulted by Elsa.Fault", WorkflowStatus.Faulted,
            [Started("g", GetDiskInfo), Faulted("g", GetDiskInfo, "unknown VM 9"), Done("rollback", MigrationOutcome.RollbackType), Faulted("f", "Elsa.Fault", "x")], [],
            MigrationOutcomes.RolledBack, "'g' (VmMigration.GetDiskInfo) failed: unknown VM 9" },
        { "old procedure: rolled back but Finished", WorkflowStatus.Finished,
            [Faulted("m", LiveMigrate, "qemu died"), Done("rollback", MigrationOutcome.RollbackType)], [Released("migration")],
            MigrationOutcomes.RolledBack, "'m' (VmMigration.LiveMigrate) failed: qemu died" },
        { "convergence timed out", WorkflowStatus.Faulted,
            [Done("w", "VmMigration.WaitConvergence", "TimedOut"), Done("rollback", MigrationOutcome.RollbackType)], [],
            MigrationOutcomes.RolledBack, "'w' (VmMigration.WaitConvergence) ended TimedOut" },
        { "rollback failed", WorkflowStatus.Faulted,
            [Faulted("m", LiveMigrate, "source died"), Faulted("rollback", MigrationOutcome.RollbackType, "VM 9 runs nowhere")], [Unreleased("migration")],
            MigrationOutcomes.NeedsAttention, "Rollback failed: VM 9 runs nowhere; first failure: 'm' (VmMigration.LiveMigrate) failed: source died; left behind: migration x on node-a" },
        { "failure after the switchover, rollback kept the target", WorkflowStatus.Faulted,
            [Done("r", MigrationOutcome.ResumeTargetType), Faulted("c", "VmMigration.Cleanup", "prune failed"), Done("rollback", MigrationOutcome.RollbackType)], [],
            MigrationOutcomes.Migrated, "'c' (VmMigration.Cleanup) failed: prune failed" },
        { "cancelled and rolled back", WorkflowStatus.Cancelled,
            [Started("m", LiveMigrate), CancelRequested(), Done("rollback", MigrationOutcome.RollbackType)], [],
            MigrationOutcomes.RolledBack, "the migration was cancelled" },
        { "crash, not re-run, compensated", WorkflowStatus.Faulted,
            [Started("m", LiveMigrate), Recovered("m", LiveMigrate), Done("rollback", MigrationOutcome.RollbackType)], [],
            MigrationOutcomes.RolledBack, "'m' (VmMigration.LiveMigrate) was interrupted by a process crash and is not safe to re-run" },
        { "faulted without rollback, resources left", WorkflowStatus.Faulted, [Faulted("m", LiveMigrate, "boom")], [Unreleased("block-job")],
            MigrationOutcomes.NeedsAttention, "Ended without a rollback; first failure: 'm' (VmMigration.LiveMigrate) failed: boom; left behind: block-job x on node-a" },
        { "faulted without rollback, nothing created", WorkflowStatus.Faulted, [Faulted("g", GetDiskInfo, "bad input")], [],
            MigrationOutcomes.RolledBack, "'g' (VmMigration.GetDiskInfo) failed: bad input" },
        { "offline migration finished", WorkflowStatus.Finished,
            [Done("p", "VmMigration.PlanOfflineMigration"), Done("c", "VmMigration.CopyDisksOffline"), Done("f", MigrationOutcome.FinishOfflineType)], [],
            MigrationOutcomes.Migrated, null },
        { "offline migration refused (running VM), rolled back", WorkflowStatus.Faulted,
            [Faulted("p", "VmMigration.PlanOfflineMigration", "VM 9 runs on node-a"), Done("rollback", MigrationOutcome.RollbackType), Faulted("f", "Elsa.Fault", "x")], [],
            MigrationOutcomes.RolledBack, "'p' (VmMigration.PlanOfflineMigration) failed: VM 9 runs on node-a" },
        { "refused by Preflight, faulted by Elsa.Fault", WorkflowStatus.Faulted,
            [Started("p", MigrationOutcome.PreflightType), Refusal("p", "target-space: Disk vd0: too small"), Done("p", MigrationOutcome.PreflightType, "Refused"),
             Faulted("f", "Elsa.Fault", "target-space: Disk vd0: too small")], [],
            MigrationOutcomes.Refused, "target-space: Disk vd0: too small" },
        { "refused by Preflight but routed to Rollback by a site's procedure", WorkflowStatus.Faulted,
            [Refusal("p", "reach: node b"), Done("p", MigrationOutcome.PreflightType, "Refused"), Done("rollback", MigrationOutcome.RollbackType)], [],
            MigrationOutcomes.Refused, "reach: node b" },
        { "refused by Preflight, yet something was recorded after it", WorkflowStatus.Faulted,
            [Refusal("p", "reach: node b"), Done("p", MigrationOutcome.PreflightType, "Refused"), Faulted("m", LiveMigrate, "boom")], [Unreleased("block-job")],
            MigrationOutcomes.NeedsAttention, "Ended without a rollback; first failure: 'p' (VmMigration.Preflight) refused: reach: node b; left behind: block-job x on node-a" },
        { "still running", WorkflowStatus.Running, [Started("g", GetDiskInfo)], [], null, null },
        { "not a migration", WorkflowStatus.Finished, [Started("s", "Elsa.WriteLine"), Done("s", "Elsa.WriteLine")], [], null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decide_ShouldNameTheOutcomeAndItsReason(string name, WorkflowStatus status, JournalEntry[] journal, LedgerEntry[] ledger, string? outcome, string? reason)
    {
        var decided = MigrationOutcome.Decide(status, "instance error", journal, ledger);

        Assert.True(outcome == decided?.Name, $"{name}: expected {outcome ?? "none"}, got {decided?.Name ?? "none"}");
        Assert.Equal(reason, decided?.Reason);
    }

    [Fact]
    public void Decide_WhenRollbackSaysTheVmRunsOnTheTarget_ShouldBeMigrated()
    {
        JournalEntry[] journal = [Faulted("c", "VmMigration.Cleanup", "x"),
            Entry(JournalKind.Message, "rollback", MigrationOutcome.RollbackType, data: new JsonObject { [MigrationOutcome.OnTargetKey] = true }),
            Done("rollback", MigrationOutcome.RollbackType)];

        Assert.Equal(MigrationOutcomes.Migrated, MigrationOutcome.Decide(WorkflowStatus.Faulted, null, journal, [])!.Name);
    }

    private static long _id;

    private static JournalEntry Entry(JournalKind kind, string? activity, string? type, string? outcome = null, string? message = null, JsonObject? data = null) =>
        new(++_id, "i", DateTimeOffset.UnixEpoch, kind, activity, type, outcome, null, message, data);

    private static JournalEntry Started(string id, string type) => Entry(JournalKind.ActivityStarted, id, type);
    private static JournalEntry Done(string id, string type, string outcome = Outcomes.Done) => Entry(JournalKind.ActivityCompleted, id, type, outcome);
    private static JournalEntry Faulted(string id, string type, string message) => Entry(JournalKind.ActivityFaulted, id, type, message: message);
    private static JournalEntry Refusal(string id, string reason) =>
        Entry(JournalKind.Message, id, MigrationOutcome.PreflightType, message: "Refused", data: new JsonObject { ["event"] = "refused", ["reason"] = reason });
    private static JournalEntry CancelRequested() => Entry(JournalKind.Message, null, null, message: "Cancel requested", data: new JsonObject { ["event"] = JournalEvents.CancelRequested });
    private static JournalEntry Recovered(string id, string type) => Entry(JournalKind.ActivityRecovered, id, type, data: new JsonObject { ["policy"] = "Compensate" });
    private static LedgerEntry Unreleased(string kind) => new(1, "i", "a", kind, "node-a", "x", null, DateTimeOffset.UnixEpoch, null);
    private static LedgerEntry Released(string kind) => Unreleased(kind) with { ReleasedAt = DateTimeOffset.UnixEpoch };
}
