using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Server;

/// <summary>What recovery decided for one interrupted instance.</summary>
public enum RecoveryAction
{
    /// <summary>Every interrupted activity is safe to run again (recovery policy Rerun): the instance resumes.</summary>
    Rerun,
    /// <summary>An interrupted activity is not idempotent (recovery policy Compensate): the compensation runs instead.</summary>
    Compensate,
    /// <summary>Nothing was executing (e.g. only dropped cancellations): the instance continues from its committed state.</summary>
    Continue,
}

/// <summary>One instance recovery loaded again, with the journal lines (<see cref="JournalKind.ActivityRecovered"/>) that say why.</summary>
/// <param name="JournalMark">The last journal id before this recovery: later entries are what the recovered instance did.</param>
public sealed record RecoveredInstance(string InstanceId, string DefinitionName, RecoveryAction Action, IReadOnlyList<JournalEntry> Decisions,
    string? CompensationActivityId, long JournalMark)
{
    /// <summary>One line for an operator: what runs now and why.</summary>
    public string Summary => Action switch
    {
        RecoveryAction.Compensate =>
            $"compensate (running '{CompensationActivityId ?? "no compensation activity"}') because {Names(RecoveryPolicyOf("Compensate"))} " +
            $"{(RecoveryPolicyOf("Compensate").Count == 1 ? "is" : "are")} not idempotent (recovery policy Compensate) and never re-run",
        RecoveryAction.Rerun => $"re-run {Names(RecoveryPolicyOf("Rerun"))} (recovery policy Rerun: safe to run again), then continue the workflow",
        _ => "continue from the committed state (no activity was executing)",
    };

    private List<JournalEntry> RecoveryPolicyOf(string policy) =>
        [.. Decisions.Where(d => d.Data?["policy"]?.GetValue<string>() == policy)];

    private static string Names(IEnumerable<JournalEntry> entries) =>
        string.Join(", ", entries.Select(e => $"activity '{e.ActivityId}' ({e.ActivityType})"));
}

/// <summary>What one recovery pass did: instances taken and recovered, instances that could not be loaded, instances left
/// alone because another live process holds them (with who: "held by HOST pid N, lease renewed 1.2 s ago").</summary>
public sealed record RecoveryOutcome(IReadOnlyList<RecoveredInstance> Recovered, IReadOnlyList<(string InstanceId, string Error)> Failed,
    IReadOnlyList<(string InstanceId, string HeldBy)> Held);

/// <summary>How a recovered instance ended.</summary>
/// <param name="Clean">Finished, or ended Faulted/Cancelled after its compensation completed without a fault.</param>
public sealed record RecoveredInstanceEnd(RecoveredInstance Instance, WorkflowStatus Status, bool Clean, string Description);

/// <summary>
/// The one recovery path of the host: <c>serve</c> runs it at start-up, <c>recover</c> on demand. Recovers the instances
/// left Running by a dead process (<see cref="IWorkflowRuntime.RecoverAsync"/>: each interrupted activity by its recovery
/// policy; an instance a live process holds by lease is left alone) and reads back from the journal what was decided for each, so an operator sees "re-run X" or "compensate
/// because X is not idempotent" instead of a bare list of ids.
/// </summary>
public sealed class InterruptedInstanceRecovery(IWorkflowRuntime runtime, IWorkflowInstanceStore instances, IJournalStore journal)
{
    private const int JournalPage = 10_000;

    /// <summary>Recovers every instance left Running whose lease expired or has no holder; returns what was decided per
    /// instance, which could not be loaded and which a live process holds.</summary>
    public async Task<RecoveryOutcome> RecoverAsync(CancellationToken cancellationToken) =>
        await RecoverAsync(await instances.ListIdsAsync(WorkflowStatus.Running, cancellationToken), () => runtime.RecoverAsync(cancellationToken), cancellationToken);

    /// <summary>A live host's takeover: recovers, the same way, only the Running instances whose lease expired, that no
    /// one holds, or whose holder ran on this machine and is gone (<see cref="IWorkflowRuntime.ListTakeableAsync"/>);
    /// one query and nothing else when there are none.</summary>
    public async Task<RecoveryOutcome> TakeOverExpiredAsync(CancellationToken cancellationToken)
    {
        var takeable = await runtime.ListTakeableAsync(cancellationToken);
        if (takeable.Count == 0)
            return new RecoveryOutcome([], [], []);
        return await RecoverAsync(takeable, () => runtime.RecoverInstancesAsync(takeable, cancellationToken), cancellationToken);
    }

    private async Task<RecoveryOutcome> RecoverAsync(IReadOnlyList<string> candidates, Func<Task<RecoveryReport>> recover, CancellationToken cancellationToken)
    {
        // Where each interrupted instance's journal ends now: the decisions are the ActivityRecovered entries after it.
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in candidates)
            marks[id] = await LastJournalIdAsync(id, cancellationToken);
        var report = await recover();
        var recovered = new List<RecoveredInstance>();
        foreach (var id in report.Recovered)
        {
            var mark = marks.GetValueOrDefault(id);
            var record = await instances.GetAsync(id, cancellationToken);
            // Recovery commits its decisions before RecoverAsync returns; later entries are the instance running on.
            var decisions = (await ReadAfterAsync(id, mark, cancellationToken)).Where(e => e.Kind == JournalKind.ActivityRecovered).ToList();
            var action = decisions.Any(d => d.Data?["policy"]?.GetValue<string>() == "Compensate") ? RecoveryAction.Compensate
                : decisions.Any(d => d.Data?["policy"]?.GetValue<string>() == "Rerun") ? RecoveryAction.Rerun
                : RecoveryAction.Continue;
            recovered.Add(new RecoveredInstance(id, record?.DefinitionName ?? "?", action, decisions, CompensationActivityOf(record), mark));
        }
        return new RecoveryOutcome(recovered, report.Failed, report.Held);
    }

    /// <summary>Waits until the recovered instance is idle (ended, or suspended on a bookmark) and judges how it ended.</summary>
    public async Task<RecoveredInstanceEnd> WaitForEndAsync(RecoveredInstance instance, CancellationToken cancellationToken)
    {
        var status = await runtime.WaitForIdleAsync(instance.InstanceId, cancellationToken);
        var record = await instances.GetAsync(instance.InstanceId, cancellationToken);
        var after = await ReadAfterAsync(instance.InstanceId, instance.JournalMark, cancellationToken);
        switch (status)
        {
            case WorkflowStatus.Finished:
                return new(instance, status, true, "Finished");
            case WorkflowStatus.Suspended:
                return new(instance, status, false, "Suspended: waits for a bookmark (a timer or an external stimulus); `serve` resumes it");
        }
        var compensation = instance.CompensationActivityId;
        var started = compensation is null ? -1 : after.ToList().FindIndex(e => e.ActivityId == compensation && e.Kind == JournalKind.ActivityStarted);
        if (started < 0)
            return new(instance, status, false, $"{status} without compensation: {record?.Error}");
        var completed = after.Skip(started).Any(e => e.ActivityId == compensation && e.Kind == JournalKind.ActivityCompleted);
        // An Elsa.Fault after the compensation is how a procedure ends a rollback (Faulted with the reason), not a failure of it.
        var fault = after.Skip(started).FirstOrDefault(e => e.Kind == JournalKind.ActivityFaulted && e.ActivityType != Engine.Activities.BuiltIn.FaultType);
        if (completed && fault is null)
            return new(instance, status, true, $"{status}, compensated cleanly by '{compensation}' ({record?.Error})");
        return new(instance, status, false, $"{status}, compensation '{compensation}' did not complete cleanly: " +
            (fault is null ? record?.Error : $"{fault.ActivityId} faulted: {fault.Message}"));
    }

    private static string? CompensationActivityOf(WorkflowInstanceRecord? record)
    {
        if (record is null) return null;
        try
        {
            return JsonNode.Parse(record.DefinitionJson)?["customProperties"]?["compensationActivityId"]?.GetValue<string>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // the runtime loaded it, so this does not happen; without it the end is judged "without compensation"
        }
    }

    private async Task<long> LastJournalIdAsync(string instanceId, CancellationToken cancellationToken)
    {
        long last = 0;
        while (true)
        {
            var page = await journal.ReadAsync(instanceId, last, JournalPage, cancellationToken);
            if (page.Count == 0) return last;
            last = page[^1].Id;
        }
    }

    private async Task<IReadOnlyList<JournalEntry>> ReadAfterAsync(string instanceId, long afterId, CancellationToken cancellationToken)
    {
        var all = new List<JournalEntry>();
        while (true)
        {
            var page = await journal.ReadAsync(instanceId, all.Count == 0 ? afterId : all[^1].Id, JournalPage, cancellationToken);
            all.AddRange(page);
            if (page.Count < JournalPage) return all;
        }
    }
}
