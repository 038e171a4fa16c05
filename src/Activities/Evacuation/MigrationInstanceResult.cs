using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>A VM's result row from the migration instance that moved it: its outcome as every other surface shows it
/// (<see cref="MigrationOutcome.Decide"/> over the instance's status, journal and ledger).</summary>
public static class MigrationInstanceResult
{
    public static async Task<VmMigrationResult> ReadAsync(IServiceProvider services, EvacuationMove move, string instanceId, CancellationToken cancellationToken)
    {
        var instance = await services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, cancellationToken)
            ?? throw new InvalidOperationException($"The migration instance {instanceId} of VM {move.VmId} is not in the database any more.");
        var journal = await services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, int.MaxValue, cancellationToken);
        var ledger = await services.GetRequiredService<ILedgerStore>().ListAsync(instanceId, cancellationToken);
        return MigrationOutcome.Decide(instance.Status, instance.Error, journal, ledger) is { } outcome
            ? new VmMigrationResult(move, outcome.Name, outcome.Reason, instanceId)
            : instance.Status == WorkflowStatus.Finished
                ? new VmMigrationResult(move, VmResultOutcomes.Finished, null, instanceId)
                : new VmMigrationResult(move, VmResultOutcomes.Failed, instance.Error ?? instance.Status.ToString(), instanceId);
    }
}
