using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// The flow rules (all run under the driver's gate):
/// <list type="bullet">
/// <item>An activity that completes with outcomes starts the targets of every connection leaving those ports; several
/// connections are concurrent branches. A non-join activity runs once per arriving token.</item>
/// <item>A join (<see cref="IJoinActivity"/>, Elsa.FlowJoin) in WaitAll mode runs once every inbound connection either
/// delivered a token since the join last ran, or can no longer deliver one: no running or suspended activity can
/// reach it without passing through the join. Untaken decision branches therefore do not block it, branches still in
/// flight do (Elsa 3.5's "Merge" join). WaitAny runs on the first token; running or suspended work that can reach the
/// join only through the other inbound connections is cancelled (Elsa's "Race").</item>
/// <item>An activity that throws takes its <c>Failed</c> port when connected; otherwise the instance ends Faulted.
/// Ending (fault, cancel, Elsa.Finish) abandons every other execution and bookmark; after a fault or cancel the
/// definition's compensation activity (and whatever follows it) runs once, then the instance ends.</item>
/// </list>
/// </summary>
internal sealed partial class InstanceDriver
{
    private void Schedule(string activityId, Bookmark? resuming)
    {
        if (resuming is null)
        {
            try
            {
                CountExecution(activityId);
            }
            catch (ExecutionLimitExceededException e)
            {
                EndAs(WorkflowStatus.Faulted, e.Message, "the activity-execution limit was reached");
                return;
            }
        }
        var execution = new RunningActivity(Guid.NewGuid().ToString("N"), activityId, Services.Time.GetUtcNow(), resuming);
        var handle = new ExecutionHandle(execution, Services.Stopping);
        lock (_handles)
            _handles.Add(execution.ExecutionId, handle);
        _state.Running.Add(execution);
        _toLaunch.Add(handle);
        if (activityId != Graph.CompensationActivityId && !IsBuiltIn(activityId) && !Graph.ChangesNothingOutside(activityId))
            _state.CompensationUpToDate = false;
        if (resuming is null)
            Journal(JournalKind.ActivityStarted, activityId, null);
        else
            Journal(JournalKind.ActivityResumed, activityId, $"bookmark {resuming.Name}", data: new() { ["bookmarkId"] = resuming.Id });
    }

    private void RemoveExecution(ExecutionHandle handle)
    {
        lock (_handles)
            _handles.Remove(handle.Execution.ExecutionId);
        _state.Running.RemoveAll(r => r.ExecutionId == handle.Execution.ExecutionId);
        _toLaunch.Remove(handle);
    }

    private void ApplyResult(ExecutionHandle handle, RuntimeActivityContext context, Exception? error, TimeSpan elapsed)
    {
        var activityId = handle.Execution.ActivityId;
        if (handle.Execution.Abandoned)
        {
            Journal(JournalKind.ActivityCancelled, activityId, error is null ? "ended after it was cancelled" : $"cancelled ({error.Message})", duration: elapsed);
            return;
        }
        if (activityId == Graph.CompensationActivityId && !_state.Compensating)
            _state.CompensationUpToDate = true;
        if (error is not null)
        {
            var data = new System.Text.Json.Nodes.JsonObject { ["exception"] = error.GetType().FullName, ["detail"] = error.ToString() };
            if (error is FaultException fault)
            {
                data["code"] = fault.Code;
                data["category"] = fault.Category;
                data["reason"] = fault.Reason;
            }
            Journal(JournalKind.ActivityFaulted, activityId, error.Message, duration: elapsed, data: data);
            if (Graph.Outbound(activityId, Outcomes.Failed).Count > 0 && error is not ExecutionLimitExceededException)
                Follow(activityId, [Outcomes.Failed]);
            else
                // A deliberate Elsa.Fault states the incident in the author's words; anything else says which activity broke.
                EndAs(WorkflowStatus.Faulted, error is FaultException ? error.Message : $"Activity '{activityId}' ({Graph.Nodes[activityId].Type}) failed: {error.Message}",
                    "the instance faulted");
            return;
        }
        if (context.Outcomes is { } outcomes)
        {
            Journal(JournalKind.ActivityCompleted, activityId, null, string.Join(",", outcomes), elapsed);
            if (Graph.IsTerminal(activityId) || context.SentSignal == ChildSignal.Complete)
            {
                if (context.SentSignal == ChildSignal.Complete)
                    _state.Outcomes = [.. outcomes];
                EndAs(WorkflowStatus.Finished, null, $"'{activityId}' finished the workflow");
            }
            else
                Follow(activityId, outcomes);
            return;
        }
        if (context.Bookmarks.Count > 0)
        {
            _bookmarks.AddRange(context.Bookmarks);
            _bookmarksDirty = true;
            _newTimers.AddRange(context.Bookmarks.Where(b => b.ResumeAt is not null));
            var resumeAt = context.Bookmarks.Select(b => b.ResumeAt).Where(t => t is not null).Min();
            Journal(JournalKind.ActivitySuspended, activityId, string.Join(", ", context.Bookmarks.Select(b => b.Name)), duration: elapsed,
                data: resumeAt is null ? null : new() { ["resumeAt"] = resumeAt.Value });
            return;
        }
        EndAs(WorkflowStatus.Faulted, $"Activity '{activityId}' ({Graph.Nodes[activityId].Type}) returned without completing or creating a bookmark: " +
            "an activity must call CompleteAsync or CreateBookmark.", "the instance faulted");
    }

    private void Follow(string activityId, IReadOnlyList<string> outcomes)
    {
        var targets = new List<string>();
        var arrivals = new List<(JoinInfo Join, string ConnectionKey)>();
        foreach (var outcome in outcomes.Distinct(StringComparer.Ordinal))
        {
            foreach (var connection in Graph.Outbound(activityId, outcome))
            {
                if (Graph.Joins.TryGetValue(connection.TargetId, out var join))
                    arrivals.Add((join, FlowGraph.ConnectionKey(connection)));
                else if (!targets.Contains(connection.TargetId))
                    targets.Add(connection.TargetId);
            }
        }
        foreach (var target in targets)
            Schedule(target, resuming: null);
        var firedNow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (join, connectionKey) in arrivals)
            Arrive(join, connectionKey, firedNow);
    }

    private void Arrive(JoinInfo join, string connectionKey, HashSet<string> firedNow)
    {
        FlowJoinMode mode;
        try
        {
            mode = JoinMode(join);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            EndAs(WorkflowStatus.Faulted, $"The mode of join '{join.Id}' could not be evaluated: {ex.Message}", "the instance faulted");
            return;
        }
        if (mode == FlowJoinMode.WaitAny)
        {
            if (!firedNow.Add(join.Id))
                return;
            _state.JoinArrivals.Remove(join.Id);
            var winner = join.Inbound.First(i => i.ConnectionKey == connectionKey).Upstream;
            var losers = join.Inbound.Where(i => i.ConnectionKey != connectionKey).SelectMany(i => i.Upstream).Where(n => !winner.Contains(n)).ToHashSet();
            AbandonActivities(losers, $"join '{join.Id}' (WaitAny) continued with another branch");
            Schedule(join.Id, resuming: null);
            return;
        }
        if (!_state.JoinArrivals.TryGetValue(join.Id, out var arrived))
            _state.JoinArrivals[join.Id] = arrived = [];
        if (!arrived.Contains(connectionKey))
            arrived.Add(connectionKey);
    }

    /// <summary>Runs every WaitAll join whose remaining inbound connections can no longer deliver a token.</summary>
    private void EvaluateJoins()
    {
        if (_state.JoinArrivals.Count == 0)
            return;
        var pending = _handles.Values.Where(h => !h.Execution.Abandoned).Select(h => h.Execution.ActivityId)
            .Concat(_bookmarks.Select(b => b.ActivityId)).ToHashSet(StringComparer.Ordinal);
        bool fired;
        do
        {
            fired = false;
            foreach (var (joinId, arrived) in _state.JoinArrivals.ToList())
            {
                var join = Graph.Joins[joinId];
                var everyInbound = join.EveryInbound || StrictMode(join);
                if (!join.Inbound.All(i => arrived.Contains(i.ConnectionKey) || (!everyInbound && !i.Upstream.Overlaps(pending))))
                    continue;
                _state.JoinArrivals.Remove(joinId);
                Schedule(joinId, resuming: null);
                pending.Add(joinId);
                fired = true;
            }
        } while (fired);
    }

    // The mode was evaluated without error when the token arrived (Arrive); evaluated again here, it cannot fail differently.
    private bool StrictMode(JoinInfo join)
    {
        try
        {
            return JoinMode(join) == FlowJoinMode.WaitAllInbound;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Elsa's own activities (Start, Fault, WriteLine, SetVariable, Delay, ...) change nothing outside the instance.</summary>
    /// A container counts only when every activity inside it is one of Elsa's too (a Sequence of migration steps has effects).
    private bool IsBuiltIn(string activityId) =>
        Definitions.ActivityTree.Descendants(Graph.Nodes[activityId].Json, "")
            .All(d => Json.DefinitionReader.Text(d.Activity["type"])?.StartsWith(BuiltIn.Namespace + ".", StringComparison.Ordinal) == true);

    private FlowJoinMode JoinMode(JoinInfo join) =>
        join.Mode is { } mode && mode.ValueOrDefault(Evaluate(mode.Expression, typeof(FlowJoinMode), Services.Stopping)) is FlowJoinMode given
            ? given
            : FlowJoinMode.WaitAll;

    /// <summary>Starts ending the instance: every other execution and bookmark is abandoned. A fault overrides an earlier end status.</summary>
    private void EndAs(WorkflowStatus status, string? error, string reason)
    {
        if (_state.EndStatus is null || status == WorkflowStatus.Faulted)
            _state.EndStatus = status;
        if (error is not null)
            _error = _error is null ? error : _error + " | " + error;
        AbandonActivities(null, reason);
        _state.JoinArrivals.Clear();
    }

    /// <summary>Cancels the executions and removes the bookmarks of the given activities (all when null).</summary>
    private void AbandonActivities(IReadOnlySet<string>? activityIds, string reason)
    {
        foreach (var handle in _handles.Values.Where(h => !h.Execution.Abandoned && (activityIds is null || activityIds.Contains(h.Execution.ActivityId))).ToList())
        {
            if (_toLaunch.Contains(handle))
            {
                // Scheduled in this very transition and never launched: drop it.
                RemoveExecution(handle);
                Journal(JournalKind.ActivityCancelled, handle.Execution.ActivityId, $"not started: {reason}");
                continue;
            }
            var abandoned = handle.Execution with { Abandoned = true };
            _state.Running[_state.Running.FindIndex(r => r.ExecutionId == abandoned.ExecutionId)] = abandoned;
            handle.Execution = abandoned;
            handle.Cancellation.Cancel();
        }
        var dropped = _bookmarks.Where(b => activityIds is null || activityIds.Contains(b.ActivityId)).ToList();
        foreach (var activityId in dropped.Select(b => b.ActivityId).Distinct())
            Journal(JournalKind.ActivityCancelled, activityId, $"wait cancelled: {reason}");
        if (dropped.Count > 0)
        {
            _bookmarks = [.. _bookmarks.Except(dropped)];
            _bookmarksDirty = true;
        }
    }

    private WorkflowStatus DecideStatus()
    {
        if (_handles.Count > 0)
            return WorkflowStatus.Running;
        if (_state.EndStatus is WorkflowStatus.Faulted or WorkflowStatus.Cancelled && !_state.Compensating
            && Graph.CompensationActivityId is { } compensation && Graph.Nodes.ContainsKey(compensation))
        {
            if (_state.CompensationUpToDate)
            {
                _state.Compensating = true;
                Journal(JournalKind.Message, null, $"Not compensating: nothing with effects outside the instance ran since the start or since '{compensation}' ran.");
                return _state.EndStatus.Value;
            }
            _state.Compensating = true;
            Journal(JournalKind.Message, null, $"Compensating: running '{compensation}' ({Graph.Nodes[compensation].Type}) and whatever follows it.");
            Schedule(compensation, resuming: null);
            return WorkflowStatus.Running;
        }
        if (_state.EndStatus is { } end)
            return end;
        return _bookmarks.Count > 0 ? WorkflowStatus.Suspended : WorkflowStatus.Finished;
    }

    /// <summary>
    /// Applies the recovery policies to the executions a dead process left running: Rerun executes the activity again
    /// (a resumption is resumed again with the same bookmark); Compensate never re-runs it and ends the instance
    /// Faulted through compensation. Executions that were already being cancelled are dropped.
    /// </summary>
    private void RecoverInterrupted()
    {
        var interrupted = _state.Running.ToList();
        _state.Running.Clear();
        var live = interrupted.Where(r => !r.Abandoned).ToList();
        foreach (var dropped in interrupted.Where(r => r.Abandoned))
            Journal(JournalKind.ActivityRecovered, dropped.ActivityId, "was being cancelled when the process died: dropped");
        var notIdempotent = live.Where(r => Graph.RecoveryOf(r.ActivityId) == RecoveryPolicy.Compensate).ToList();
        if (notIdempotent.Count == 0)
        {
            foreach (var execution in live)
            {
                Journal(JournalKind.ActivityRecovered, execution.ActivityId, "interrupted by a process crash; recovery policy Rerun: running it again",
                    data: new() { ["policy"] = nameof(RecoveryPolicy.Rerun) });
                Schedule(execution.ActivityId, execution.Resuming);
            }
            EvaluateJoins();
            return;
        }
        foreach (var execution in live)
        {
            var policy = Graph.RecoveryOf(execution.ActivityId);
            Journal(JournalKind.ActivityRecovered, execution.ActivityId, policy == RecoveryPolicy.Compensate
                ? "interrupted by a process crash; recovery policy Compensate: not re-run, compensating"
                : "interrupted by a process crash; not re-run because the instance compensates",
                data: new() { ["policy"] = policy.ToString() });
        }
        var names = string.Join(", ", notIdempotent.Select(r => $"'{r.ActivityId}' ({Graph.Nodes[r.ActivityId].Type})"));
        EndAs(WorkflowStatus.Faulted, $"The process died while {names} ran; its recovery policy is Compensate, so it was not re-run.", "recovery compensates");
    }
}
