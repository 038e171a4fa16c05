using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// A schedule run as operators see it: what happened at the fire time and, for a started run, how the migration ended
/// (<c>MigrationOutcome</c>: Migrated, RolledBack, Refused, NeedsAttention; null while it runs). The outcome is read from the
/// instance when asked rather than stored with the run, so it can never disagree with the instance.
/// </summary>
public sealed record ScheduleRunView(
    long Id, string ScheduleId, DateTimeOffset ScheduledFor, DateTimeOffset HappenedAt, string Outcome, string? InstanceId, string? Message,
    string? InstanceStatus, string? MigrationOutcome, string? MigrationReason)
{
    public static async Task<IReadOnlyList<ScheduleRunView>> ListAsync(string scheduleId, ScheduleStore store, IWorkflowInstanceStore instances,
        MigrationOutcomeReader outcomes, CancellationToken cancellationToken)
    {
        var views = new List<ScheduleRunView>();
        foreach (var run in await store.ListRunsAsync(scheduleId, cancellationToken))
        {
            var instance = run.InstanceId is null ? null : await instances.GetAsync(run.InstanceId, cancellationToken);
            var outcome = instance is null ? null : await outcomes.ReadAsync(instance.Id, instance.Status, instance.Error, cancellationToken);
            views.Add(new ScheduleRunView(run.Id, run.ScheduleId, run.ScheduledFor, run.HappenedAt, run.Outcome, run.InstanceId, run.Message,
                instance?.Status.ToString(), outcome?.Name, outcome?.Reason));
        }
        return views;
    }
}
