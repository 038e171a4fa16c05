using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Persistence;

/// <summary>What a journal entry records. Stored as its name.</summary>
public enum JournalKind
{
    /// <summary>The instance changed status (<see cref="JournalEntry.Message"/> holds the new status).</summary>
    Status,
    ActivityStarted,
    /// <summary>The activity completed; <see cref="JournalEntry.Outcome"/> lists the outcomes, comma separated.</summary>
    ActivityCompleted,
    /// <summary>The activity created bookmarks and waits.</summary>
    ActivitySuspended,
    /// <summary>A bookmark of the activity was resumed.</summary>
    ActivityResumed,
    /// <summary>The activity threw; <see cref="JournalEntry.Message"/> holds the error.</summary>
    ActivityFaulted,
    /// <summary>The activity was cancelled or abandoned (instance cancel, fault elsewhere, WaitAny join, Finish).</summary>
    ActivityCancelled,
    /// <summary>Start-up recovery decided what to do with an activity that was running when the process died.</summary>
    ActivityRecovered,
    /// <summary>A line an activity wrote (<c>context.JournalAsync</c>).</summary>
    Message,
    /// <summary>A (rate-limited) progress report.</summary>
    Progress,
}

/// <summary>Values of a runtime journal entry's <c>data.event</c>, for readers that must not parse messages.</summary>
public static class JournalEvents
{
    /// <summary>On the <see cref="JournalKind.Message"/> written when a cancel request is applied.</summary>
    public const string CancelRequested = "cancel-requested";

    /// <summary>On the <see cref="JournalKind.Message"/> written when a process takes over an instance left Running
    /// (data: <c>host</c>, the taker's identity, and <c>reason</c>, e.g. the expired lease of the previous holder).</summary>
    public const string TakenOver = "taken-over";
}

/// <summary>One line of an instance's journal, oldest first by <see cref="Id"/>.</summary>
/// <param name="Id">Assigned by the store (0 before it is stored).</param>
/// <param name="InstanceId">The instance.</param>
/// <param name="At">When it happened (UTC).</param>
/// <param name="Kind">What happened.</param>
/// <param name="ActivityId">The activity node, when it is about one.</param>
/// <param name="ActivityType">The activity's JSON type name.</param>
/// <param name="Outcome">Completed outcomes, comma separated.</param>
/// <param name="Message">The error, message or new status.</param>
/// <param name="DurationMs">For completed/faulted activities: how long the execution took.</param>
/// <param name="Data">Structured details (progress numbers, outputs, error type, ...).</param>
/// <param name="Host">The process that wrote it (<see cref="RuntimeHostIdentity.Id"/>, <c>HOST-PID-SUFFIX</c>): with several
/// hosts on one database it shows which one acted when. Null on entries written before the column existed.</param>
public sealed record JournalEntry(
    long Id,
    string InstanceId,
    DateTimeOffset At,
    JournalKind Kind,
    string? ActivityId = null,
    string? ActivityType = null,
    string? Outcome = null,
    double? DurationMs = null,
    string? Message = null,
    JsonObject? Data = null,
    string? Host = null)
{
    /// <summary>A one-line human-readable form (the CLI prints these while a workflow runs).</summary>
    public override string ToString()
    {
        var activity = ActivityId is null ? "" : $" {ActivityId}" + (ActivityType is null ? "" : $" ({ActivityType})");
        var outcome = string.IsNullOrEmpty(Outcome) ? "" : $" -> {Outcome}";
        var duration = DurationMs is null ? "" : $" in {DurationMs:0.#} ms";
        var message = Message is null ? "" : $": {Message}";
        return $"{At:HH:mm:ss.fff} {Kind}{activity}{outcome}{duration}{message}";
    }
}
