using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary><c>/api/migrations</c>: start, list, get (with journal and progress), cancel, and a live SSE stream.</summary>
public static class MigrationEndpoints
{
    private const int JournalLimit = 10_000;

    public static RouteGroupBuilder MapMigrations(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/migrations").WithTags("Migrations");
        group.MapPost("/", StartAsync).WithSummary("Starts a migration: the published version of a definition with inputs.");
        group.MapGet("/", ListAsync).WithSummary("Running and past migrations, newest first.");
        group.MapGet("/{id}", GetAsync).WithSummary("One migration with its journal, the latest progress of each activity and its ledger.");
        group.MapPost("/{id}/cancel", CancelAsync).WithSummary("Requests cooperative cancellation (the definition's compensation runs).");
        group.MapGet("/{id}/events", Events).WithSummary(
            "Server-sent events: 'journal' (each journal entry, from the first), 'progress' (live progress), 'status'; ends when the migration ends.");
        return api;
    }

    private static async Task<Results<Accepted<StartedMigration>, ProblemHttpResult>> StartAsync(
        StartMigrationBody body, IMigrationStarter starter, CancellationToken ct)
    {
        if (!DefinitionIds.IsValid(body.DefinitionId))
            return ApiProblem.BadRequest("invalid-definition-id", DefinitionIds.Problem(body.DefinitionId));
        var inputs = (body.Inputs ?? []).ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        var result = await starter.StartAsync(new StartMigrationRequest(body.DefinitionId, inputs, "api", StartVersion.Published, body.CorrelationId), ct);
        return result switch
        {
            StartMigrationResult.Started s => TypedResults.Accepted($"/api/migrations/{s.InstanceId}", new StartedMigration(s.InstanceId, $"/api/migrations/{s.InstanceId}")),
            StartMigrationResult.Refused { Code: "definition-not-found" } r => ApiProblem.Create(StatusCodes.Status404NotFound, r.Code, r.Reason),
            StartMigrationResult.Refused { Code: "vm-busy" or "node-limit" } r => ApiProblem.Conflict(r.Code, r.Reason),
            StartMigrationResult.Refused r => ApiProblem.BadRequest(r.Code, r.Reason),
            _ => throw new InvalidOperationException("Unknown start result " + result),
        };
    }

    private static async Task<Ok<IReadOnlyList<MigrationSummaryView>>> ListAsync(
        IWorkflowInstanceStore instances, IInstanceLeaseStore leases, TimeProvider time, MigrationOutcomeReader outcomes,
        WorkflowStatus? status, string? definitionId, int? limit, int? offset, CancellationToken ct)
    {
        var rows = await instances.ListAsync(new InstanceQuery(status, definitionId, null, Math.Clamp(limit ?? 100, 1, 1000), Math.Max(0, offset ?? 0)), ct);
        var views = new List<MigrationSummaryView>(rows.Count);
        var now = time.GetUtcNow();
        foreach (var row in rows)
        {
            // Only a running instance has a host running it; ended ones cost no lease query.
            var host = row.Status.IsTerminal() ? null : await leases.GetAsync(row.Id, ct) is { } lease ? LeaseRules.RunningOn(lease, now) : null;
            views.Add(MigrationSummaryView.From(row, await outcomes.ReadAsync(row, ct), host));
        }
        return TypedResults.Ok<IReadOnlyList<MigrationSummaryView>>(views);
    }

    private static async Task<Results<Ok<MigrationView>, ProblemHttpResult>> GetAsync(
        string id, IWorkflowInstanceStore instances, IJournalStore journal, ILedgerStore ledger, MigrationOutcomeReader outcomes, CancellationToken ct)
    {
        var instance = await instances.GetAsync(id, ct);
        if (instance is null)
            return ApiProblem.NotFound($"No migration instance '{id}'.");
        var entries = await journal.ReadAsync(id, 0, JournalLimit, ct);
        var progress = entries.Where(e => e.Kind == JournalKind.Progress)
            .GroupBy(e => (e.ActivityId, Subject: e.Data?["subject"]?.ToString()))
            .Select(g => g.Last())
            .Select(e => new ProgressView(e.ActivityId, e.At, e.Message, e.Data))
            .ToList();
        var outcome = await outcomes.ReadAsync(instance.Id, instance.Status, instance.Error, ct);
        return TypedResults.Ok(new MigrationView(instance.Id, instance.DefinitionId, instance.DefinitionVersion, instance.DefinitionName, instance.Status,
            instance.Error, instance.CorrelationId, instance.Inputs, instance.Variables, instance.CreatedAt, instance.UpdatedAt, instance.FinishedAt,
            entries, progress, outcome?.Name, outcome?.Reason, await ledger.ListAsync(id, ct)));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> CancelAsync(
        string id, IWorkflowInstanceStore instances, IWorkflowRuntime runtime, CancellationToken ct)
    {
        var instance = await instances.GetAsync(id, ct);
        if (instance is null)
            return ApiProblem.NotFound($"No migration instance '{id}'.");
        if (!await runtime.CancelAsync(id, ct))
            return ApiProblem.Conflict("already-ended", $"Migration '{id}' has already ended ({instance.Status}) or is compensating.");
        return TypedResults.Accepted($"/api/migrations/{id}");
    }

    private static async Task<IResult> Events(
        string id, IWorkflowInstanceStore instances, IJournalStore journal, IWorkflowEventStream events, MigrationOutcomeReader outcomes, CancellationToken ct)
    {
        if (await instances.GetAsync(id, ct) is null)
            return ApiProblem.NotFound($"No migration instance '{id}'.");
        return TypedResults.ServerSentEvents(StreamAsync(id, instances, journal, events, outcomes, ct));
    }

    /// <summary>
    /// Journal so far, then live events. Subscribes before reading the journal so nothing falls in between (duplicates
    /// are dropped by journal id). Every 2 s without events it also polls the database, which covers instances run by
    /// another process (the CLI) and ends the stream when the instance has ended.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<JsonNode>> StreamAsync(
        string id, IWorkflowInstanceStore instances, IJournalStore journal, IWorkflowEventStream events, MigrationOutcomeReader outcomes,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = events.Subscribe(id);
        long lastJournalId = 0;
        foreach (var entry in await journal.ReadAsync(id, 0, JournalLimit, ct))
        {
            lastJournalId = entry.Id;
            yield return Item("journal", entry);
        }
        var instance = await instances.GetAsync(id, ct);
        yield return Item("status", await StatusAsync(outcomes, id, instance!.Status, instance.Error, ct));
        if (instance.Status.IsTerminal())
            yield break;
        while (!ct.IsCancellationRequested)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(2));
            WorkflowEvent? next = null;
            try
            {
                if (await subscription.Reader.WaitToReadAsync(wait.Token))
                    subscription.Reader.TryRead(out next);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Quiet for 2 s: fall through to the database poll.
            }
            if (next is null)
            {
                foreach (var entry in await journal.ReadAsync(id, lastJournalId, JournalLimit, ct))
                {
                    lastJournalId = entry.Id;
                    yield return Item("journal", entry);
                }
                instance = await instances.GetAsync(id, ct);
                if (instance is null || instance.Status.IsTerminal())
                {
                    yield return Item("status", instance is null
                        ? new StatusEventView(id, "Deleted", null, null, null)
                        : await StatusAsync(outcomes, id, instance.Status, instance.Error, ct));
                    yield break;
                }
                continue;
            }
            switch (next)
            {
                case JournalAppended { Entry: var entry } when entry.Id > lastJournalId:
                    lastJournalId = entry.Id;
                    yield return Item("journal", entry);
                    break;
                case ProgressReported p:
                    yield return Item("progress", new { instanceId = id, activityId = p.ActivityId, at = p.At, progress = p.Progress });
                    break;
                case StatusChanged s:
                    yield return Item("status", await StatusAsync(outcomes, id, s.Status, s.Error, ct));
                    if (s.Status.IsTerminal())
                        yield break;
                    break;
            }
        }
    }

    /// <summary>The SSE <c>status</c> event: with the outcome once the migration has ended.</summary>
    private sealed record StatusEventView(string InstanceId, string Status, string? Error, string? Outcome, string? Reason);

    private static async Task<StatusEventView> StatusAsync(MigrationOutcomeReader outcomes, string id, WorkflowStatus status, string? error, CancellationToken ct)
    {
        var outcome = await outcomes.ReadAsync(id, status, error, ct);
        return new StatusEventView(id, status.ToString(), error, outcome?.Name, outcome?.Reason);
    }

    private static SseItem<JsonNode> Item<T>(string type, T value) =>
        new(System.Text.Json.JsonSerializer.SerializeToNode(value, ApiJson.Options)!, type);
}
