using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// The part of an instance's state that only the runtime reads (stored as the instance's <c>state</c> JSON): which
/// activity executions are in progress, which join inbound connections have delivered a token, and whether the
/// instance is ending (and compensating). Variables and bookmarks are stored in their own columns/table.
/// </summary>
internal sealed class ExecutionState
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Activity executions committed as started and not yet ended.</summary>
    public List<RunningActivity> Running { get; set; } = [];

    /// <summary>Join id → keys of the inbound connections that have delivered a token since the join last fired (WaitAll).</summary>
    public Dictionary<string, List<string>> JoinArrivals { get; set; } = [];

    /// <summary>Set when the instance is ending: Finished (an Elsa.Finish completed), Faulted or Cancelled.</summary>
    public WorkflowStatus? EndStatus { get; set; }

    /// <summary>True once the compensation activity was scheduled (it runs at most once per instance).</summary>
    public bool Compensating { get; set; }

    /// <summary>Activity executions so far, children inside containers included (bounded by <c>MaxActivityExecutions</c>).</summary>
    public long ExecutionCount { get; set; }

    /// <summary>The workflow outputs written by <c>Elsa.SetOutput</c> (read them with <see cref="WorkflowOutputs"/>).</summary>
    public JsonObject Outputs { get; set; } = [];

    /// <summary>The outcomes an <c>Elsa.Complete</c> at the root finished the instance with.</summary>
    public List<string>? Outcomes { get; set; }

    /// <summary>The name <c>Elsa.SetName</c> gave the instance.</summary>
    public string? Name { get; set; }
    /// <summary>
    /// True while nothing with effects outside the instance ran since the start, or since the compensation activity ended
    /// in the normal flow (e.g. a Failed port led to Rollback): only Elsa's built-in activities and those marked
    /// <see cref="Model.ChangesNothingOutsideAttribute"/> started. A fault then (an <c>Elsa.Fault</c> after the Rollback,
    /// or after a refusing preflight) does not run the compensation: there is nothing to undo.
    /// </summary>
    public bool CompensationUpToDate { get; set; } = true;

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static ExecutionState Deserialize(string json) =>
        string.IsNullOrWhiteSpace(json) ? new ExecutionState() : JsonSerializer.Deserialize<ExecutionState>(json, Json) ?? new ExecutionState();
}

/// <summary>An activity execution in progress. <see cref="Resuming"/> is the bookmark being resumed, if this is a resumption;
/// <see cref="Abandoned"/> marks one that was cancelled (its result is ignored; recovery drops it).</summary>
internal sealed record RunningActivity(string ExecutionId, string ActivityId, DateTimeOffset StartedAt, Bookmark? Resuming = null, bool Abandoned = false);
