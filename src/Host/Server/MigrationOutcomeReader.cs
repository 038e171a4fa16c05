using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// Reads what <see cref="MigrationOutcome.Decide"/> needs (journal and ledger) for an instance, so every surface (run,
/// instances, show, the API and page, schedule runs) shows the same outcome. Null for running instances and for
/// procedures that move no VM.
/// </summary>
public sealed class MigrationOutcomeReader(IJournalStore journal, ILedgerStore ledger)
{
    public async Task<MigrationOutcome?> ReadAsync(string instanceId, WorkflowStatus status, string? error, CancellationToken cancellationToken)
    {
        if (!status.IsTerminal())
            return null;
        var entries = await journal.ReadAsync(instanceId, 0, int.MaxValue, cancellationToken);
        return MigrationOutcome.Decide(status, error, entries, await ledger.ListAsync(instanceId, cancellationToken));
    }

    public Task<MigrationOutcome?> ReadAsync(WorkflowInstanceSummary instance, CancellationToken cancellationToken) =>
        ReadAsync(instance.Id, instance.Status, instance.Error, cancellationToken);
}
