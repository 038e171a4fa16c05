using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Persistence;

/// <summary>
/// A stored workflow instance. <see cref="DefinitionJson"/> is the exact definition it runs (so recovery and
/// resumption never depend on a definition that was edited or deleted since); <see cref="StateJson"/> is the
/// runtime's execution state (running activities, join arrivals, compensation) and is owned by the runtime.
/// </summary>
public sealed record WorkflowInstanceRecord(
    string Id,
    string DefinitionId,
    int DefinitionVersion,
    string DefinitionName,
    string DefinitionJson,
    WorkflowStatus Status,
    JsonObject Variables,
    JsonObject Inputs,
    string StateJson,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    string? CorrelationId = null);

/// <summary>A row of an instance list (no definition or state payloads).</summary>
public sealed record WorkflowInstanceSummary(
    string Id,
    string DefinitionId,
    int DefinitionVersion,
    string DefinitionName,
    WorkflowStatus Status,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    string? CorrelationId);

/// <summary>A bookmark as stored, with the instance it belongs to.</summary>
public sealed record StoredBookmark(string InstanceId, Model.Bookmark Bookmark);

/// <summary>
/// One state change of an instance, committed in a single transaction: the instance row, its bookmarks (replaced as
/// a whole when <see cref="Bookmarks"/> is not null) and the journal entries that describe the change. With a
/// <see cref="Lease"/> the write is refused (<see cref="InstanceHeldException"/>) while another live process holds the
/// instance; the claimant then holds it while it is Running, and no one holds it once it is suspended or has ended.
/// </summary>
public sealed record InstanceCommit(
    string InstanceId,
    WorkflowStatus Status,
    JsonObject Variables,
    string StateJson,
    string? Error,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<Model.Bookmark>? Bookmarks,
    IReadOnlyList<JournalEntry> Journal,
    string? CorrelationId = null,
    LeaseClaim? Lease = null);

/// <summary>A filter for instance lists.</summary>
/// <param name="Status">Only this status, when set.</param>
/// <param name="DefinitionId">Only instances of this definition, when set.</param>
/// <param name="CorrelationId">Only instances with this correlation id (e.g. the VM being migrated), when set.</param>
/// <param name="Limit">At most this many rows, newest first.</param>
/// <param name="Offset">Rows to skip (paging).</param>
public sealed record InstanceQuery(WorkflowStatus? Status = null, string? DefinitionId = null, string? CorrelationId = null, int Limit = 100, int Offset = 0);
