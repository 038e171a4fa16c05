using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// How an evacuation ended, in the three outcomes of a migration (README "Outcomes"), from its result table: the
/// worst of its VMs. <c>Migrated</c>: every VM moved (exit 0). <c>NeedsAttention</c>: at least one VM's rollback failed
/// or its end is unknown (exit 4). <c>RolledBack</c>: otherwise, some VM did not move but each is where it was: rolled
/// back, refused, never started (exit 1, or 2 when an operator cancelled the evacuation).
/// </summary>
public static class EvacuationOutcome
{
    /// <summary>Null while it runs, when it is no evacuation (no plan in its journal) or when its plan had no VM.</summary>
    public static MigrationOutcome? Decide(WorkflowStatus status, string? error, IReadOnlyList<JournalEntry> journal)
    {
        if (!status.IsTerminal() || EvacuationReport.Read(journal, status == WorkflowStatus.Finished ? null : error) is not { Results.Count: > 0 } report)
            return null;
        var cancelled = status == WorkflowStatus.Cancelled
            || journal.Any(e => e.Kind == JournalKind.Message && e.ActivityId is null && e.Data?["event"]?.GetValue<string>() == JournalEvents.CancelRequested);
        if (report.Results.Any(r => r.NeedsAttention))
            return new MigrationOutcome(MigrationOutcomes.NeedsAttention, report.Reason, cancelled);
        if (report.AllMoved)
            return new MigrationOutcome(MigrationOutcomes.Migrated, status == WorkflowStatus.Finished ? null : error, cancelled);
        return new MigrationOutcome(MigrationOutcomes.RolledBack, report.Reason, cancelled);
    }
}
