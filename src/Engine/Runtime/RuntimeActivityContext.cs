using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime.Inline;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>The runtime's <see cref="ActivityExecutionContext"/>: one per activity execution, also per execution of a
/// child activity inside a container (<paramref name="isChild"/>), which shares its parent's durable execution.</summary>
internal sealed class RuntimeActivityContext(InstanceDriver driver, RunningActivity execution, Activity activity, ExecutionFrame frame,
    CancellationToken cancellationToken, bool isChild = false)
    : ActivityExecutionContext
{
    private readonly List<Bookmark> _bookmarks = [];
    private readonly Dictionary<string, DateTimeOffset> _lastProgressJournaled = new(StringComparer.Ordinal);
    private string[]? _outcomes;

    public override string InstanceId => driver.InstanceId;
    public override Activity Activity => activity;
    public override CancellationToken CancellationToken => cancellationToken;
    public override ILogger Logger => driver.ActivityLogger;
    public override TimeProvider Time => driver.Services.Time;
    public override IServiceProvider Services => driver.Services.ServiceProvider;
    public override bool IsCompleted => _outcomes is not null;

    /// <summary>The outcomes it completed with (null while not completed).</summary>
    public IReadOnlyList<string>? Outcomes => _outcomes;

    /// <summary>The bookmarks it created.</summary>
    public IReadOnlyList<Bookmark> Bookmarks => _bookmarks;

    protected override object? Evaluate(Expression expression, Type valueType) => driver.Evaluate(expression, valueType, frame.Scope, cancellationToken);

    public override void Set<T>(Output<T>? output, T value)
    {
        if (output?.VariableId is not { } variableId)
            return;
        Assign(variableId, value is null ? null : value as JsonNode ?? JsonSerializer.SerializeToNode(value, value.GetType()));
    }

    /// <summary>Writes an output bound by <c>memoryReference</c>: to the variable of that id or name, else to the
    /// workflow output of that name (Elsa maps an activity output to a workflow output that way).</summary>
    public void Assign(string memoryReference, JsonNode? value)
    {
        var name = ResolveVariableName(memoryReference);
        if (name is null && frame.OutputNames.Contains(memoryReference))
            driver.SetOutput(frame, memoryReference, value);
        else
            driver.SetVariable(frame, name ?? memoryReference, value);
    }

    public override JsonNode? GetVariable(string name) => driver.GetVariable(frame, name);

    public override void SetVariable(string name, JsonNode? value) => driver.SetVariable(frame, name, value);

    public override string? ResolveVariableName(string idOrName) => driver.ResolveVariableName(frame, idOrName);

    public override ValueTask<ChildResult> RunChildAsync(JsonObject child, IReadOnlyDictionary<string, JsonNode?>? locals = null) =>
        driver.RunChildAsync(execution, child, locals is null ? frame : frame.WithLocals(locals), cancellationToken);

    public override void SetWorkflowOutput(string name, JsonNode? value) => driver.SetOutput(frame, name, value);

    public override string? CorrelationId
    {
        get => frame.Instance.CorrelationId;
        set => frame.Instance.CorrelationId = value;
    }

    public override void SetInstanceName(string name) => driver.SetInstanceName(name);

    public override bool IsHostStopping => driver.Services.Stopping.IsCancellationRequested;

    public override string? HostId => driver.Services.Leases.Identity.Id;

    public override bool IsTriggerOfWorkflow =>
        !isChild && execution.Resuming is null && activity.Id == driver.Graph.StartActivityId && driver.IsFirstExecution;

    public override void Signal(ChildSignal signal, IReadOnlyList<string>? outcomes = null)
    {
        SentSignal = signal;
        _outcomes ??= [.. outcomes ?? []];
    }

    /// <summary>Runs a workflow definition used as this activity, in a frame of its own.</summary>
    public ValueTask<(IReadOnlyList<string> Outcomes, JsonObject Outputs)> RunWorkflowAsync(Definitions.WorkflowDefinition definition,
        IReadOnlyDictionary<string, JsonNode?> inputs) =>
        driver.RunWorkflowAsync(execution, definition, inputs, frame, cancellationToken);

    /// <summary>The workflow definitions usable as activities.</summary>
    public WorkflowActivityResolver WorkflowActivities => driver.Services.WorkflowActivities;

    /// <summary>The signal it sent to its containers, if any.</summary>
    public ChildSignal SentSignal { get; private set; }

    /// <summary>The frame it runs in (variables, inputs, outputs).</summary>
    public ExecutionFrame Frame => frame;

    /// <summary>Forgets the bookmarks handled by a child run that waited for them in-process.</summary>
    public void ClearBookmarks() => _bookmarks.Clear();

    public override ValueTask CompleteAsync(params string[] outcomes)
    {
        _outcomes = outcomes;
        return ValueTask.CompletedTask;
    }

    public override Bookmark CreateBookmark(string name, JsonNode? payload = null, DateTimeOffset? resumeAt = null)
    {
        var bookmark = new Bookmark(Guid.NewGuid().ToString("N"), activity.Id, name, payload?.DeepClone(), resumeAt);
        _bookmarks.Add(bookmark);
        return bookmark;
    }

    public override async ValueTask JournalAsync(string message, JsonObject? data = null) =>
        await driver.AppendJournalAsync(JournalKind.Message, activity, message, data, cancellationToken);

    public override async ValueTask ReportProgressAsync(Progress progress)
    {
        var now = Time.GetUtcNow();
        driver.Services.Events.Publish(new ProgressReported(InstanceId, activity.Id, progress, now));
        var finished = progress.Total is { } total && progress.Done >= total;
        if (!finished && _lastProgressJournaled.TryGetValue(progress.Subject, out var last) && now - last < driver.Services.Options.ProgressJournalInterval)
            return;
        _lastProgressJournaled[progress.Subject] = now;
        var data = new JsonObject
        {
            ["subject"] = progress.Subject,
            ["done"] = progress.Done,
            ["total"] = progress.Total,
            ["unit"] = progress.Unit,
            ["ratePerSecond"] = progress.RatePerSecond,
        };
        var text = progress.Message ?? $"{progress.Subject}: {progress.Done}{(progress.Total is null ? "" : $"/{progress.Total}")} {progress.Unit}";
        await driver.AppendJournalAsync(JournalKind.Progress, activity, text, data, cancellationToken);
    }

    public override async ValueTask<LedgerEntry> RecordResourceAsync(string kind, string node, string name, JsonObject? details = null) =>
        // Not the activity's token: a resource that exists must be recorded even while the activity is being cancelled.
        await driver.Services.Ledger.RecordAsync(InstanceId, activity.Id, kind, node, name, details, Time.GetUtcNow(), CancellationToken.None);

    public override async ValueTask ConfirmResourceAsync(long ledgerEntryId, JsonObject? mark = null) =>
        await driver.Services.Ledger.ConfirmAsync(InstanceId, ledgerEntryId, mark, Time.GetUtcNow(), CancellationToken.None);

    public override async ValueTask ReleaseResourceAsync(long ledgerEntryId) =>
        await driver.Services.Ledger.ReleaseAsync(InstanceId, ledgerEntryId, Time.GetUtcNow(), CancellationToken.None);

    public override async ValueTask<IReadOnlyList<LedgerEntry>> GetLedgerAsync() =>
        await driver.Services.Ledger.ListAsync(InstanceId, cancellationToken);

    public override async ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync() =>
        await driver.Services.Journal.ReadAsync(InstanceId, 0, int.MaxValue, cancellationToken);

    /// <summary>The execution this context belongs to.</summary>
    public RunningActivity Execution => execution;
}
