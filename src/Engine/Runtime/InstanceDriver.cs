using System.Diagnostics;
using Activity = Elsa.Migration.Engine.Model.Activity;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime.Inline;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Executes one loaded instance. Activity executions run as concurrent tasks; every transition (an execution ended,
/// a bookmark resumed, a cancel request, recovery) is applied under one gate and committed to the database in one
/// transaction with its journal entries BEFORE the activities it starts are launched, so the database always says
/// which activities may be running. The driver closes when nothing executes (Suspended or ended); a later stimulus
/// loads a new driver from the database. The flow rules are in <c>InstanceDriver.Flow.cs</c>.
/// </summary>
internal sealed partial class InstanceDriver
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _variablesLock = new();
    private readonly Dictionary<string, JsonNode?> _variables;
    private readonly ExecutionFrame _frame;
    private string? _committedCorrelationId;
    private long _executionCount;
    private readonly IInstanceHost _host;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ExecutionHandle> _handles = new(StringComparer.Ordinal);
    private readonly List<ExecutionHandle> _toLaunch = [];
    private readonly List<JournalEntry> _pendingJournal = [];
    private readonly List<Bookmark> _newTimers = [];
    private readonly ExecutionState _state;
    private List<Bookmark> _bookmarks;
    private bool _bookmarksDirty;
    private string? _error;
    private bool _closed;
    // True once this driver's commit (or the create) made this process the instance's lease holder: later commits must
    // still hold it; the first commit of a loaded instance takes it.
    private bool _holdsLease;
    // The instance row's updated_at as this process last read or wrote it: a take checks nobody committed since.
    private DateTimeOffset? _lastSeenUpdatedAt;

    private InstanceDriver(RuntimeServices services, IInstanceHost host, FlowGraph graph, string instanceId, WorkflowStatus status,
        Dictionary<string, JsonNode?> variables, IReadOnlyDictionary<string, JsonNode?> inputs, ExecutionState state, List<Bookmark> bookmarks, string? error,
        string? correlationId)
    {
        Services = services;
        _host = host;
        Graph = graph;
        InstanceId = instanceId;
        Status = status;
        _variables = variables;
        _state = state;
        _bookmarks = bookmarks;
        _error = error;
        _frame = ExecutionFrame.ForWorkflow(graph.Definition, _variables, inputs, state.Outputs, new ExpressionContext(instanceId, correlationId));
        _committedCorrelationId = correlationId;
        _executionCount = state.ExecutionCount;
        _logger = services.LoggerFactory.CreateLogger<InstanceDriver>();
        ActivityLogger = services.LoggerFactory.CreateLogger("Elsa.Migration.Activities");
    }

    public string InstanceId { get; }
    public FlowGraph Graph { get; }
    public RuntimeServices Services { get; }
    public ILogger ActivityLogger { get; }

    /// <summary>The last committed status.</summary>
    public WorkflowStatus Status { get; private set; }

    /// <summary>Every launched execution's task (the runtime awaits them when it stops).</summary>
    public IEnumerable<Task> ExecutionTasks
    {
        get { lock (_handles) return _handles.Values.Select(h => h.Task).Where(t => t is not null).Cast<Task>().ToList(); }
    }

    /// <summary>Creates, commits and starts a new instance.</summary>
    public static async Task<InstanceDriver> StartNewAsync(RuntimeServices services, IInstanceHost host, FlowGraph graph, string instanceId,
        IReadOnlyDictionary<string, JsonNode?> inputs, string? correlationId, CancellationToken cancellationToken)
    {
        // An empty flowchart has nothing to run: Elsa finishes it at once.
        var start = graph.StartActivityId ?? (graph.Nodes.Count == 0 ? null : throw new InvalidOperationException(
            $"Workflow '{graph.Definition.DefinitionId}' has no start activity: add an Elsa.Start or an activity without inbound connections."));
        var variables = graph.InitialVariables();
        var driver = new InstanceDriver(services, host, graph, instanceId, WorkflowStatus.Running, variables, inputs, new ExecutionState(), [], null, correlationId);
        var now = services.Time.GetUtcNow();
        driver.Journal(JournalKind.Status, null, WorkflowStatus.Running.ToString());
        if (start is not null)
            driver.Schedule(start, resuming: null);
        var record = new WorkflowInstanceRecord(instanceId, graph.Definition.DefinitionId, graph.Definition.Version, graph.Definition.Name,
            graph.DefinitionJson, WorkflowStatus.Running, driver.SnapshotVariables(), ToObject(inputs), driver._state.Serialize(), null, now, now, null, correlationId);
        var stored = await services.Instances.CreateAsync(record, driver.TakeJournal(), services.Leases.Claim(takes: true), cancellationToken);
        driver._holdsLease = true;
        driver._lastSeenUpdatedAt = record.UpdatedAt;
        host.OnOpened(driver);
        await driver._gate.WaitAsync(cancellationToken);
        try
        {
            driver.Published(stored, statusChanged: true);
            driver.LaunchScheduled();
            if (start is null)
                await driver.CommitAndLaunchAsync();
        }
        finally
        {
            driver._gate.Release();
        }
        return driver;
    }

    /// <summary>Loads an instance from the database. Executions the record says were running belong to a process that
    /// died: they are recovered by their activity's policy (see <c>RecoverInterrupted</c>) and the result committed,
    /// with <paramref name="takeover"/> (why this process may take the instance) journaled in the same commit, which
    /// also takes the instance's lease.</summary>
    public static async Task<InstanceDriver> LoadAsync(RuntimeServices services, IInstanceHost host, FlowGraph graph, WorkflowInstanceRecord record,
        string? takeover, CancellationToken cancellationToken)
    {
        var bookmarks = await services.Instances.GetBookmarksAsync(record.Id, cancellationToken);
        var variables = record.Variables.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        var inputs = record.Inputs.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        var driver = new InstanceDriver(services, host, graph, record.Id, record.Status, variables, inputs,
            ExecutionState.Deserialize(record.StateJson), [.. bookmarks], record.Error, record.CorrelationId);
        driver._lastSeenUpdatedAt = record.UpdatedAt;
        host.OnOpened(driver);
        if (record.Status == WorkflowStatus.Running)
        {
            await driver._gate.WaitAsync(cancellationToken);
            try
            {
                if (takeover is not null)
                {
                    var me = services.Leases.Identity;
                    driver.Journal(JournalKind.Message, null, $"Taken over by {me.HostName} pid {me.Pid} ({me.Id}): {takeover}.",
                        data: new() { ["event"] = JournalEvents.TakenOver, ["host"] = me.Id, ["reason"] = takeover });
                }
                driver.RecoverInterrupted();
                await driver.CommitAndLaunchAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                driver.Break(ex);
                throw;
            }
            finally
            {
                driver._gate.Release();
            }
        }
        return driver;
    }

    /// <summary>Resumes a bookmark. Null when the driver has closed meanwhile (load a new one and retry).</summary>
    public async Task<bool?> ResumeAsync(string bookmarkId, JsonNode? input, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
                return null;
            var bookmark = _bookmarks.Find(b => b.Id == bookmarkId);
            if (bookmark is null || (_state.EndStatus is not null && !_state.Compensating))
                return false;
            // Resuming one bookmark of an activity ends its wait: its other bookmarks go (Elsa's default behaviour).
            _bookmarks.RemoveAll(b => b.ActivityId == bookmark.ActivityId);
            _bookmarksDirty = true;
            Schedule(bookmark.ActivityId, bookmark with { ResumeInput = input?.DeepClone() });
            await CommitAndLaunchAsync();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Break(ex);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies a cancel request. Null when the driver has closed meanwhile (load a new one and retry).</summary>
    public async Task<bool?> CancelAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
                return null;
            if (Status.IsTerminal() || _state.EndStatus is not null || _state.Compensating)
                return false;
            Journal(JournalKind.Message, null, "Cancel requested: cancelling running activities, then compensating.",
                data: new() { ["event"] = JournalEvents.CancelRequested });
            EndAs(WorkflowStatus.Cancelled, null, "the instance was cancelled");
            await CommitAndLaunchAsync();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Break(ex);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes a driver that was loaded but has nothing to execute (e.g. a resume that matched no bookmark).</summary>
    public async Task CloseIfIdleAsync()
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (_closed || _handles.Count > 0 || Status == WorkflowStatus.Running)
                return;
            _closed = true;
            _host.OnClosed(this, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends an activity's message or progress line (its own transaction) and publishes it.</summary>
    public async ValueTask AppendJournalAsync(JournalKind kind, Activity activity, string message, JsonObject? data, CancellationToken cancellationToken)
    {
        var entry = new JournalEntry(0, InstanceId, Services.Time.GetUtcNow(), kind, activity.Id, activity.Type, Message: message, Data: data,
            Host: Services.Leases.Identity.Id);
        var stored = await Services.Journal.AppendAsync(entry, cancellationToken);
        Services.Events.Publish(new JournalAppended(stored));
    }

    public object? Evaluate(Expression expression, Type targetType, CancellationToken cancellationToken) =>
        Evaluate(expression, targetType, _frame.Scope, cancellationToken);

    public object? Evaluate(Expression expression, Type targetType, ExpressionScope scope, CancellationToken cancellationToken)
    {
        lock (_variablesLock)
            return Services.Evaluator.Evaluate(expression, targetType, scope, cancellationToken);
    }

    public JsonNode? GetVariable(ExecutionFrame frame, string name)
    {
        lock (_variablesLock)
            return frame.Variables.TryGetValue(name, out var value) ? value?.DeepClone() : null;
    }

    /// <summary>Writes a variable; a scalar is converted to the variable's declared type (Elsa converts on assignment
    /// too: "41" into an Int32 is 41). Objects and arrays are kept as they are, whatever the declared type, because
    /// activities write structured results into variables declared loosely (e.g. a String variable holding a result).</summary>
    public void SetVariable(ExecutionFrame frame, string name, JsonNode? value)
    {
        var copy = value is JsonValue && frame.VariableTypes.TryGetValue(name, out var typeName)
            ? VariableTypes.Convert(value, typeName, $"variable '{name}'")
            : value?.DeepClone();
        lock (_variablesLock)
            frame.Variables[name] = copy;
    }

    public string? ResolveVariableName(ExecutionFrame frame, string idOrName)
    {
        lock (_variablesLock)
            return frame.ResolveVariableName(idOrName);
    }

    public void SetOutput(ExecutionFrame frame, string name, JsonNode? value)
    {
        var copy = value?.DeepClone();
        lock (_variablesLock)
            frame.Outputs[name] = copy;
    }

    public void SetInstanceName(string name)
    {
        lock (_variablesLock)
            _state.Name = name;
    }

    /// <summary>True while the first activity of a new instance runs (a trigger at the start completes at once).</summary>
    public bool IsFirstExecution => Interlocked.Read(ref _executionCount) <= 1;

    private void Launch(ExecutionHandle handle)
    {
        handle.Task = Task.Run(() => RunAsync(handle));
    }

    private async Task RunAsync(ExecutionHandle handle)
    {
        var activity = Graph.Activities[handle.Execution.ActivityId];
        var context = new RuntimeActivityContext(this, handle.Execution, activity, _frame, handle.Cancellation.Token);
        var started = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            if (handle.Execution.Resuming is { } bookmark)
                await activity.OnResumeAsync(context, bookmark);
            else
                await activity.ExecuteAsync(context);
        }
        catch (Exception ex)
        {
            error = ex;
        }
        await OnExecutionEndedAsync(handle, context, error, Stopwatch.GetElapsedTime(started));
    }

    private async Task OnExecutionEndedAsync(ExecutionHandle handle, RuntimeActivityContext context, Exception? error, TimeSpan elapsed)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            // When the host stops, leave the database as it is: recovery at the next start applies the policies.
            if (_closed || Services.Stopping.IsCancellationRequested)
                return;
            RemoveExecution(handle);
            ApplyResult(handle, context, error, elapsed);
            EvaluateJoins();
            await CommitAndLaunchAsync();
        }
        catch (Exception ex)
        {
            Break(ex);
        }
        finally
        {
            handle.Cancellation.Dispose();
            _gate.Release();
        }
    }

    /// <summary>Decides the status, commits the transition with its journal, publishes it, then launches what it scheduled.</summary>
    private async Task CommitAndLaunchAsync()
    {
        var previous = Status;
        var status = DecideStatus();
        if (status != previous)
            Journal(JournalKind.Status, null, status.ToString() + (status == WorkflowStatus.Faulted && _error is not null ? ": " + _error : ""));
        var now = Services.Time.GetUtcNow();
        string stateJson;
        string? correlationId;
        lock (_variablesLock)
        {
            _state.ExecutionCount = Interlocked.Read(ref _executionCount);
            stateJson = _state.Serialize();
            correlationId = _frame.Instance.CorrelationId;
        }
        var commit = new InstanceCommit(InstanceId, status, SnapshotVariables(), stateJson, _error, now,
            status.IsTerminal() ? now : null, _bookmarksDirty ? [.. _bookmarks] : null, TakeJournal(),
            correlationId != _committedCorrelationId ? correlationId : null, Services.Leases.Claim(takes: !_holdsLease, _lastSeenUpdatedAt));
        // Not cancellable: a transition that has begun is committed whole (a short local transaction).
        var stored = await Services.Instances.CommitAsync(commit, CancellationToken.None);
        _holdsLease = status == WorkflowStatus.Running; // the store holds a running instance for this process, releases any other
        _lastSeenUpdatedAt = now;
        _bookmarksDirty = false;
        _committedCorrelationId = correlationId;
        Status = status;
        Published(stored, status != previous);
        LaunchScheduled();
        if (status != WorkflowStatus.Running)
        {
            _closed = true;
            _host.OnClosed(this, null);
        }
    }

    private void Published(IReadOnlyList<JournalEntry> stored, bool statusChanged)
    {
        foreach (var entry in stored)
            Services.Events.Publish(new JournalAppended(entry));
        if (statusChanged)
            Services.Events.Publish(new StatusChanged(InstanceId, Status, _error, Services.Time.GetUtcNow()));
        _host.OnCommitted(this, Status, [.. _newTimers]);
        _newTimers.Clear();
    }

    private void LaunchScheduled()
    {
        foreach (var handle in _toLaunch)
            Launch(handle);
        _toLaunch.Clear();
    }

    private void Break(Exception error)
    {
        if (error is InstanceHeldException held)
            _logger.LogWarning("Workflow instance {InstanceId} is {HeldBy}: this process stops executing it", InstanceId, held.HeldBy);
        else
            _logger.LogError(error, "Workflow instance {InstanceId}: committing its state failed; it stops here and recovery at the next start resumes it from the last commit", InstanceId);
        _closed = true;
        foreach (var handle in _handles.Values)
            handle.Cancellation.Cancel();
        _toLaunch.Clear();
        _host.OnClosed(this, error);
    }

    private void Journal(JournalKind kind, string? activityId, string? message, string? outcome = null, TimeSpan? duration = null, JsonObject? data = null) =>
        _pendingJournal.Add(new JournalEntry(0, InstanceId, Services.Time.GetUtcNow(), kind, activityId,
            activityId is null ? null : Graph.Nodes[activityId].Type, outcome, duration?.TotalMilliseconds, message, data, Services.Leases.Identity.Id));

    private List<JournalEntry> TakeJournal()
    {
        var entries = _pendingJournal.ToList();
        _pendingJournal.Clear();
        return entries;
    }

    private JsonObject SnapshotVariables()
    {
        lock (_variablesLock)
            return new JsonObject(_variables.Select(v => KeyValuePair.Create(v.Key, v.Value?.DeepClone())));
    }

    private static JsonObject ToObject(IReadOnlyDictionary<string, JsonNode?> values) =>
        new(values.Select(v => KeyValuePair.Create(v.Key, v.Value?.DeepClone())));

    /// <summary>An execution in progress: its persisted record, its cancellation, its task.</summary>
    private sealed class ExecutionHandle(RunningActivity execution, CancellationToken stopping)
    {
        public RunningActivity Execution { get; set; } = execution;
        public CancellationTokenSource Cancellation { get; } = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        public Task? Task { get; set; }
    }
}
