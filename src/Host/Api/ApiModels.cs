using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Api;

/// <summary>Start a migration: the definition (its published version) and the workflow inputs, e.g. <c>{"VmId": "101"}</c>.</summary>
/// <remarks>Inputs are a dictionary, not a <see cref="JsonObject"/>: the API's case-insensitive JSON options would make a
/// JsonObject throw on <c>vmid</c> next to <c>VmId</c>; as keys they reach the input checks, which refuse them by name.</remarks>
public sealed record StartMigrationBody(string DefinitionId, Dictionary<string, JsonNode?>? Inputs, string? CorrelationId = null);

/// <summary>The started instance.</summary>
public sealed record StartedMigration(string InstanceId, string Location);

/// <summary>One progress report of an activity (the latest per activity and subject is kept).</summary>
public sealed record ProgressView(string? ActivityId, DateTimeOffset At, string? Message, JsonObject? Data);

/// <summary>An instance with its journal and the latest progress of each activity. <c>Outcome</c> (Migrated, RolledBack, Refused,
/// NeedsAttention; null while running or for a procedure that moves no VM) and its <c>Reason</c> say how it ended.</summary>
public sealed record MigrationView(
    string Id, string DefinitionId, int DefinitionVersion, string DefinitionName, WorkflowStatus Status, string? Error,
    string? CorrelationId, JsonObject Inputs, JsonObject Variables, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<JournalEntry> Journal, IReadOnlyList<ProgressView> Progress, string? Outcome = null, string? Reason = null,
    IReadOnlyList<LedgerEntry>? Ledger = null);

/// <summary>A row of the migration list: the instance summary with its outcome and reason, and <c>Host</c>, the process
/// that runs it ("MACHINE pid N", its lease holder; null when none does: ended, or its host died and no one took it yet).</summary>
public sealed record MigrationSummaryView(
    string Id, string DefinitionId, int DefinitionVersion, string DefinitionName, WorkflowStatus Status, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt, string? CorrelationId, string? Outcome, string? Reason,
    string? Host = null)
{
    public static MigrationSummaryView From(WorkflowInstanceSummary s, Activities.Migration.MigrationOutcome? outcome, string? host) =>
        new(s.Id, s.DefinitionId, s.DefinitionVersion, s.DefinitionName, s.Status, s.Error, s.CreatedAt, s.UpdatedAt, s.FinishedAt, s.CorrelationId,
            outcome?.Name, outcome?.Reason, host);
}

/// <summary>A definition version as listed by the API.</summary>
public sealed record DefinitionView(string DefinitionId, int Version, string Name, bool IsLatest, bool IsPublished, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static DefinitionView From(StoredWorkflowDefinition d) => new(d.DefinitionId, d.Version, d.Name, d.IsLatest, d.IsPublished, d.CreatedAt, d.UpdatedAt);
}

/// <summary>The result of an import: the stored version.</summary>
public sealed record ImportedDefinition(string DefinitionId, int Version, bool IsPublished);
