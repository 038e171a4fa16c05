using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>How a migration ended, asserted the way operators see it: instance status, incident and outcome.</summary>
internal static class OutcomeAssert
{
    /// <summary>The one activity that failed (the procedure's Elsa.Fault after the rollback is a consequence, not a failure).</summary>
    public static JournalEntry SingleFailure(IReadOnlyList<JournalEntry> journal) =>
        Assert.Single(journal, e => e.Kind == JournalKind.ActivityFaulted && e.ActivityType != BuiltIn.FaultType);

    /// <summary>Faulted (the shipped procedures end a rollback with Elsa.Fault), outcome RolledBack, the first failure as incident and reason.</summary>
    public static async Task<MigrationOutcome> RolledBackAsync(VmLabHarness h, string instanceId, IReadOnlyList<JournalEntry> journal, string reason, CancellationToken ct)
    {
        var outcome = await DecideAsync(h, instanceId, journal, ct);
        var instance = await h.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
        Assert.Equal(WorkflowStatus.Faulted, instance!.Status);
        Assert.True(outcome?.Name == MigrationOutcomes.RolledBack, $"expected RolledBack, got {outcome?.Name ?? "none"}: {outcome?.Reason}");
        Assert.Contains(reason, outcome!.Reason);
        Assert.Contains(reason, instance.Error);
        return outcome;
    }

    public static async Task<MigrationOutcome?> DecideAsync(VmLabHarness h, string instanceId, IReadOnlyList<JournalEntry> journal, CancellationToken ct)
    {
        var instance = await h.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
        return MigrationOutcome.Decide(instance!.Status, instance.Error, journal, await h.LedgerAsync(instanceId, ct));
    }
}
