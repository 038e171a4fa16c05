using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Activities.Migration;

/// <summary>The ways a migration ends (README.md, "Outcomes").</summary>
public static class MigrationOutcomes
{
    /// <summary>The VM runs on the target.</summary>
    public const string Migrated = "Migrated";

    /// <summary>The VM never left the source or was brought back to it; the reason is the first failure.</summary>
    public const string RolledBack = "RolledBack";

    /// <summary>The rollback itself failed or the VM's location is unknown: the reason says what is left and where.</summary>
    public const string NeedsAttention = "NeedsAttention";

    /// <summary>Preflight refused it: nothing was created on any node; the reason lists every refusal.</summary>
    public const string Refused = "Refused";
}

/// <summary>
/// How a migration ended, decided in one place from what the database holds (status, journal, ledger), so the CLI,
/// the API, the pages and the schedules never disagree. Null <see cref="Decide"/> result: still running, or not a
/// migration (no <c>VmMigration.*</c> activity ran). <see cref="Cancelled"/>: an operator's cancel request led to it
/// (the instance then ends Faulted by the procedure's Elsa.Fault after the rollback, so the status alone cannot say).
/// </summary>
public sealed record MigrationOutcome(string Name, string? Reason, bool Cancelled = false)
{
    public const string RollbackType = "VmMigration.Rollback";
    public const string ResumeTargetType = "VmMigration.ResumeTarget";
    public const string PreflightType = "VmMigration.Preflight";
    /// <summary>The offline migration's last step: once it completed, the VM's disks (and so the VM) belong to the target.</summary>
    public const string FinishOfflineType = "VmMigration.FinishOfflineMigration";

    /// <summary>The data key of Rollback's final journal entry that says whether the VM runs on the target.</summary>
    public const string OnTargetKey = "onTarget";

    private const string MigrationNamespace = "VmMigration.";

    public static MigrationOutcome? Decide(WorkflowStatus status, string? error, IReadOnlyList<JournalEntry> journal, IReadOnlyList<LedgerEntry> ledger)
    {
        // An evacuation moves its VMs through migrations of their own: its outcome is the worst of theirs.
        if (Evacuation.EvacuationOutcome.Decide(status, error, journal) is { } evacuation)
            return evacuation;
        if (!status.IsTerminal() || !journal.Any(e => e.ActivityType?.StartsWith(MigrationNamespace, StringComparison.Ordinal) == true))
            return null;
        // Refused by Preflight and nothing ever recorded in the ledger: no rollback had anything to do, whatever followed.
        if (ledger.Count == 0 && journal.FirstOrDefault(IsRefusal) is { } refusal)
            return new(MigrationOutcomes.Refused, refusal.Data?["reason"]?.GetValue<string>() ?? refusal.Message);
        var decided = DecideName(status, error, journal, ledger);
        return decided is null ? null : decided with { Cancelled = status == WorkflowStatus.Cancelled || journal.Any(IsCancelRequest) };
    }

    private static MigrationOutcome? DecideName(WorkflowStatus status, string? error, IReadOnlyList<JournalEntry> journal, IReadOnlyList<LedgerEntry> ledger)
    {
        var firstFailure = FirstFailure(journal) ?? error;
        var onTarget = journal.Any(e => e.Kind == JournalKind.ActivityCompleted && e.ActivityType is ResumeTargetType or FinishOfflineType);
        var rollbackEnd = journal.LastOrDefault(e => e.ActivityType == RollbackType && e.Kind is JournalKind.ActivityCompleted or JournalKind.ActivityFaulted);
        if (rollbackEnd?.Kind == JournalKind.ActivityFaulted)
            return new(MigrationOutcomes.NeedsAttention, Join($"Rollback failed: {rollbackEnd.Message}", Cause(firstFailure), Left(ledger)));
        if (rollbackEnd is not null)
        {
            onTarget |= journal.Any(e => e.ActivityType == RollbackType && e.Kind == JournalKind.Message && e.Data?[OnTargetKey]?.GetValue<bool>() == true);
            return onTarget ? new(MigrationOutcomes.Migrated, firstFailure) : new(MigrationOutcomes.RolledBack, firstFailure ?? "rolled back");
        }
        if (onTarget)
            return new(MigrationOutcomes.Migrated, status == WorkflowStatus.Finished ? null : firstFailure);
        if (status == WorkflowStatus.Finished)
            return null; // a procedure that moves no VM (e.g. a replication) and succeeded
        // Ended without a rollback and before the switchover: only what the ledger still holds can be left.
        return ledger.Any(e => e.ReleasedAt is null)
            ? new(MigrationOutcomes.NeedsAttention, Join("Ended without a rollback", Cause(firstFailure), Left(ledger)))
            : new(MigrationOutcomes.RolledBack, firstFailure ?? status.ToString());
    }

    /// <summary>
    /// The first thing that went wrong, oldest first: an activity that threw, a migration step that ended on a port
    /// other than Done (WaitConvergence TimedOut, VerifyDisks Different), an activity the crash recovery would not
    /// re-run, or a cancel request. Rollback and Elsa.Fault are consequences, never the cause. Null when nothing failed.
    /// </summary>
    public static string? FirstFailure(IReadOnlyList<JournalEntry> journal)
    {
        foreach (var e in journal)
        {
            if (e.ActivityType is RollbackType or Engine.Activities.BuiltIn.FaultType)
                continue;
            var name = $"'{e.ActivityId}' ({e.ActivityType})";
            switch (e.Kind)
            {
                case JournalKind.ActivityFaulted:
                    return $"{name} failed: {e.Message}";
                case JournalKind.ActivityCompleted when e.ActivityType?.StartsWith(MigrationNamespace, StringComparison.Ordinal) == true
                                                        && e.Outcome is { Length: > 0 } outcome && outcome != Outcomes.Done:
                    return $"{name} ended {outcome}";
                case JournalKind.ActivityRecovered when (e.Data?["policy"]?.GetValue<string>() == nameof(RecoveryPolicy.Compensate)):
                    return $"{name} was interrupted by a process crash and is not safe to re-run";
                case JournalKind.Message when IsRefusal(e):
                    return $"{name} refused: {e.Data?["reason"]?.GetValue<string>() ?? e.Message}";
                case JournalKind.Message when IsCancelRequest(e):
                    return "the migration was cancelled";
            }
        }
        return null;
    }

    private static bool IsRefusal(JournalEntry e) =>
        e.Kind == JournalKind.Message && e.ActivityType == PreflightType && e.Data?["event"]?.GetValue<string>() == Steps.Preflight.RefusedEvent;

    private static bool IsCancelRequest(JournalEntry e) =>
        e.Kind == JournalKind.Message && e.ActivityId is null && e.Data?["event"]?.GetValue<string>() == JournalEvents.CancelRequested;

    /// <summary>Unreleased ledger entries: what the migration created and nobody removed, with the node it is on.</summary>
    private static string? Left(IReadOnlyList<LedgerEntry> ledger)
    {
        var left = ledger.Where(e => e.ReleasedAt is null).Select(e => $"{e.Kind} {e.Name} on {e.Node}").ToList();
        return left.Count == 0 ? null : "left behind: " + string.Join(", ", left);
    }

    private static string? Cause(string? firstFailure) => firstFailure is null ? null : "first failure: " + firstFailure;

    /// <summary>The parts as one line: "a; b; c" (a part's closing full stop would read ".;").</summary>
    private static string Join(params string?[] parts) =>
        string.Join("; ", parts.Where(p => !string.IsNullOrEmpty(p)).Select(p => p!.TrimEnd().TrimEnd('.')));
}
