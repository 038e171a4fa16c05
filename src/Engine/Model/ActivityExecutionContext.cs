using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Model;

/// <summary>
/// What an activity sees while it runs (mirrors Elsa 3's <c>ActivityExecutionContext</c>, kept small).
/// The runtime implements it; activities evaluate inputs, write outputs, complete with outcomes, create bookmarks,
/// journal progress and record what they create in the instance's ledger.
/// </summary>
public abstract class ActivityExecutionContext
{
    /// <summary>The workflow instance.</summary>
    public abstract string InstanceId { get; }

    /// <summary>The activity being executed.</summary>
    public abstract Activity Activity { get; }

    /// <summary>Cancelled when the instance is cancelled or the host shuts down.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>A logger scoped to the instance and activity.</summary>
    public abstract ILogger Logger { get; }

    /// <summary>The clock (fake in tests).</summary>
    public abstract TimeProvider Time { get; }

    /// <summary>Services registered with the host (drivers, inventory, ...). Use sparingly.</summary>
    public abstract IServiceProvider Services { get; }

    /// <summary>True once <see cref="CompleteAsync"/> was called.</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>Evaluates an input's expression, converts it to <typeparamref name="T"/> and applies the input's default
    /// (<see cref="InputAttribute.DefaultValue"/>) when it yields nothing.</summary>
    public T? Get<T>(Input<T>? input)
    {
        // Unboxing null into a value type throws: an unset input without a default yields default(T).
        var value = input?.ValueOrDefault(Evaluate(input.Expression, typeof(T)));
        return value is null ? default : (T)value;
    }

    /// <summary>Evaluates an expression in this activity's scope, converted to <paramref name="valueType"/>; null when it yields nothing.</summary>
    protected abstract object? Evaluate(Expression expression, Type valueType);

    /// <summary>Writes an output (to the variable it is bound to, if any) and remembers it for the journal.</summary>
    public abstract void Set<T>(Output<T>? output, T value);

    /// <summary>Reads a workflow variable by name (null when unset).</summary>
    public abstract JsonNode? GetVariable(string name);

    /// <summary>Writes a workflow variable by name.</summary>
    public abstract void SetVariable(string name, JsonNode? value);

    /// <summary>
    /// The name of the variable an Elsa definition refers to by id (Studio stores ids) or by name; null when the
    /// definition has no such variable. The runtime overrides this with the definition's variables; the default
    /// treats the text as a name.
    /// </summary>
    public virtual string? ResolveVariableName(string idOrName) => idOrName;

    /// <summary>Completes the activity; the runtime follows the connections leaving the given outcome ports.</summary>
    public abstract ValueTask CompleteAsync(params string[] outcomes);

    /// <summary>Creates a durable bookmark; the activity is suspended until it is resumed.</summary>
    /// <param name="name">A stimulus name, e.g. <c>Delay</c> or <c>QmpEvent</c>.</param>
    /// <param name="payload">Data that the stimulus matches or the activity needs on resume.</param>
    /// <param name="resumeAt">Makes it a durable timer resumed by the runtime at that time.</param>
    public abstract Bookmark CreateBookmark(string name, JsonNode? payload = null, DateTimeOffset? resumeAt = null);

    /// <summary>Adds a line to the instance's journal (the database), e.g. the strategy chosen or bytes copied.</summary>
    public abstract ValueTask JournalAsync(string message, JsonObject? data = null);

    /// <summary>Reports progress of long work: journaled (rate-limited) and streamed to live observers.</summary>
    public abstract ValueTask ReportProgressAsync(Progress progress);

    /// <summary>Records a resource this instance created; committed immediately (survives a crash).</summary>
    public abstract ValueTask<LedgerEntry> RecordResourceAsync(string kind, string node, string name, JsonObject? details = null);

    /// <summary>Marks a ledger entry created (the create succeeded), merging the resource's ownership <paramref name="mark"/> into its details.</summary>
    public abstract ValueTask ConfirmResourceAsync(long ledgerEntryId, JsonObject? mark = null);

    /// <summary>Marks a ledger entry as released (the resource no longer exists).</summary>
    public abstract ValueTask ReleaseResourceAsync(long ledgerEntryId);

    /// <summary>The instance's ledger (all entries, released ones included), oldest first.</summary>
    public abstract ValueTask<IReadOnlyList<LedgerEntry>> GetLedgerAsync();

    /// <summary>The instance's journal so far, oldest first (Elsa's execution log): e.g. to name the first failure.
    /// Entries of the transition that started this activity are included; progress lines are too.</summary>
    public abstract ValueTask<IReadOnlyList<JournalEntry>> GetJournalAsync();

    /// <summary>
    /// Runs a child activity (an activity JSON object held in this activity's node, e.g. a Sequence's
    /// <c>activities[i]</c> or a loop's <c>body</c>) to its end, in this execution, and returns its outcomes and signal.
    /// <paramref name="locals"/> are variables visible only to this child run by name (a loop's current value), so
    /// concurrent iterations do not overwrite each other.
    /// </summary>
    public virtual ValueTask<ChildResult> RunChildAsync(JsonObject child, IReadOnlyDictionary<string, JsonNode?>? locals = null) =>
        throw new NotSupportedException($"This context cannot run child activities (activity '{Activity.Id}').");

    /// <summary>Writes a workflow output (Elsa's <c>SetOutput</c>): the instance's output, or a workflow activity's output in its parent.</summary>
    public virtual void SetWorkflowOutput(string name, JsonNode? value) =>
        throw new NotSupportedException($"This context has no workflow outputs (activity '{Activity.Id}').");

    /// <summary>The instance's correlation id (a business key to find it by).</summary>
    public virtual string? CorrelationId { get => null; set => throw new NotSupportedException("This context has no correlation id."); }

    /// <summary>Names the instance (Elsa's <c>SetName</c>).</summary>
    public virtual void SetInstanceName(string name) => throw new NotSupportedException("This context cannot name the instance.");

    /// <summary>True when <see cref="CancellationToken"/> fired because the host is stopping (nothing more is committed;
    /// the next start recovers the instance by each activity's policy), false while the instance itself is cancelled.
    /// An activity that started work elsewhere (e.g. another instance) cancels that work only in the second case.</summary>
    public virtual bool IsHostStopping => false;

    /// <summary>The executing process (<c>HOST-PID-SUFFIX</c>, its <c>runtime_hosts</c> id), for a journal entry an
    /// activity writes through <see cref="IJournalStore"/> itself; null outside the runtime.</summary>
    public virtual string? HostId => null;

    /// <summary>True when this activity is the trigger the instance started from (a Cron, Timer or StartAt at the start completes at once).</summary>
    public virtual bool IsTriggerOfWorkflow => false;

    /// <summary>Signals the nearest enclosing container: <see cref="ChildSignal.Break"/> ends the nearest loop,
    /// <see cref="ChildSignal.Complete"/> ends the enclosing flowchart (or workflow) with <paramref name="outcomes"/>.</summary>
    public virtual void Signal(ChildSignal signal, IReadOnlyList<string>? outcomes = null) =>
        throw new NotSupportedException($"This context cannot signal its container (activity '{Activity.Id}').");
}

/// <summary>How a child activity ended, as seen by its container.</summary>
/// <param name="Outcomes">The outcomes it completed with.</param>
/// <param name="Signal">A Break or Complete it (or one of its descendants) sent up.</param>
public sealed record ChildResult(IReadOnlyList<string> Outcomes, ChildSignal Signal = ChildSignal.None);

/// <summary>A signal a child sends to its containers (Elsa's BreakSignal and CompleteCompositeSignal).</summary>
public enum ChildSignal
{
    None,
    /// <summary>Ends the nearest enclosing loop (For, ForEach, ParallelForEach, While); containers in between stop too.</summary>
    Break,
    /// <summary>Ends the enclosing flowchart (and a workflow used as an activity) with the given outcomes.</summary>
    Complete,
}
