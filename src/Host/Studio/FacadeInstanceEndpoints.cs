using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Studio;

/// <summary>Studio's instance list and instance viewer (badges, journal, incidents), and the editor's Run button.</summary>
public static class FacadeInstanceEndpoints
{
    private const int JournalLimit = 10_000;

    /// <summary>Run (▶): Studio reads only the headers, so the outcome is in <c>x-elsa-workflow-instance-id</c> or
    /// <c>x-elsa-workflow-cannot-start</c>; the body says why for humans and logs.</summary>
    public static RouteGroupBuilder MapFacadeRun(this RouteGroupBuilder api)
    {
        api.MapPost("/workflow-definitions/{definitionId}/execute", async (string definitionId, HttpResponse response, IMigrationStarter starter, CancellationToken ct) =>
        {
            var result = await starter.StartAsync(new StartMigrationRequest(definitionId, new Dictionary<string, JsonNode?>(), "studio", StartVersion.Latest), ct);
            if (result is StartMigrationResult.Started started)
            {
                response.Headers["x-elsa-workflow-instance-id"] = started.InstanceId;
                return Results.Json(new JsonObject { ["workflowInstanceId"] = started.InstanceId });
            }
            var refused = (StartMigrationResult.Refused)result;
            response.Headers["x-elsa-workflow-cannot-start"] = "true";
            return Results.Json(new JsonObject { ["cannotStart"] = true, ["code"] = refused.Code, ["reason"] = refused.Reason });
        });
        return api;
    }

    public static RouteGroupBuilder MapFacadeInstances(this RouteGroupBuilder api)
    {
        api.MapPost("/workflow-instances", ListAsync);
        api.MapGet("/workflow-instances/{id}", async (string id, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
            await ProjectAsync(id, instances, journal, ct) is { } p ? Results.Json(p.Instance()) : Results.NotFound());
        api.MapGet("/workflow-instances/{id}/execution-state", async (string id, IWorkflowInstanceStore instances, CancellationToken ct) =>
            await instances.GetAsync(id, ct) is { } i
                ? Results.Json(new JsonObject
                {
                    ["status"] = InstanceProjection.Status(i.Status),
                    ["workflowSubStatus"] = InstanceProjection.SubStatus(i.Status),
                    ["updatedAt"] = i.UpdatedAt.ToUniversalTime().ToString("O"),
                })
                : Results.NotFound());
        api.MapGet("/workflow-instances/{id}/variables", async (string id, IWorkflowInstanceStore instances, CancellationToken ct) =>
        {
            if (await instances.GetAsync(id, ct) is not { } i)
                return Results.NotFound();
            // Values are matched to the definition's variables by id.
            var ids = ((JsonNode.Parse(i.DefinitionJson) as JsonObject)?["variables"] as JsonArray ?? []).OfType<JsonObject>()
                .ToDictionary(v => v["name"]?.GetValue<string>() ?? "", v => v["id"]?.GetValue<string>() ?? "");
            return Results.Json(StudioShapes.Items([.. i.Variables.Select(v => (JsonNode)new JsonObject
            {
                ["id"] = ids.GetValueOrDefault(v.Key, v.Key), ["name"] = v.Key, ["value"] = v.Value?.DeepClone(),
            })]));
        });
        api.MapPost("/workflow-instances/{id}/journal", async (string id, HttpRequest request, JsonObject? body, IWorkflowInstanceStore instances,
            IJournalStore journal, CancellationToken ct) =>
        {
            if (await ProjectAsync(id, instances, journal, ct) is not { } p)
                return Results.NotFound();
            var filter = body?["filter"] as JsonObject;
            var activityIds = Set(filter?["activityIds"], "filter.activityIds");
            var nodeIds = Set(filter?["activityNodeIds"], "filter.activityNodeIds");
            var excluded = Set(filter?["excludedActivityTypes"], "filter.excludedActivityTypes");
            var eventNames = Set(filter?["eventNames"], "filter.eventNames");
            var records = p.LogRecords().Where(r =>
                (activityIds is null || activityIds.Contains(r["activityId"]!.GetValue<string>()))
                && (nodeIds is null || nodeIds.Contains(r["nodeId"]!.GetValue<string>()))
                && (excluded is null || !excluded.Contains(r["activityType"]?.GetValue<string>() ?? ""))
                && (eventNames is null || eventNames.Contains(r["eventName"]!.GetValue<string>()))).ToList();
            var skip = int.TryParse(request.Query["skip"], out var s) ? s : 0;
            var take = int.TryParse(request.Query["take"], out var t) ? t : records.Count;
            return Results.Json(StudioShapes.Paged([.. records.Skip(skip).Take(take)], records.Count));
        });
        api.MapPost("/cancel/workflow-instances/{id}", async (string id, IWorkflowInstanceStore instances, IWorkflowRuntime runtime, CancellationToken ct) =>
        {
            if (await instances.GetAsync(id, ct) is null)
                return Results.NotFound();
            await runtime.CancelAsync(id, ct);
            return Results.Ok();
        });
        api.MapPost("/bulk-actions/cancel/workflow-instances", async (JsonObject body, IWorkflowRuntime runtime, CancellationToken ct) =>
        {
            var cancelled = 0;
            foreach (var id in Set(body["ids"], "ids") ?? [])
                cancelled += await runtime.CancelAsync(id, ct) ? 1 : 0;
            return Results.Json(new JsonObject { ["cancelled"] = cancelled });
        });
        api.MapPost("/activity-executions/report", async (JsonObject body, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
        {
            var id = FacadeRequest.String(body["workflowInstanceId"], "workflowInstanceId") ?? "";
            var p = await ProjectAsync(id, instances, journal, ct);
            return Results.Json(new JsonObject { ["stats"] = p?.Stats(Set(body["activityNodeIds"], "activityNodeIds") ?? []) ?? [] });
        });
        api.MapGet("/activity-executions/list", async (HttpRequest request, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
            Results.Json(StudioShapes.Items([.. (await RecordsAsync(request, instances, journal, ct)).Select(r => (JsonNode)r.DeepClone())])));
        api.MapGet("/activity-execution-summaries/list", async (HttpRequest request, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
            Results.Json(StudioShapes.Items([.. (await RecordsAsync(request, instances, journal, ct)).Select(r => (JsonNode)InstanceProjection.ExecutionSummary(r))])));
        api.MapGet("/activity-executions/by-id", async (HttpRequest request, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
        {
            var recordId = request.Query["id"].ToString();
            var instanceId = recordId.Contains(':') ? recordId[..recordId.LastIndexOf(':')] : "";
            var record = (await ProjectAsync(instanceId, instances, journal, ct))?.Executions.FirstOrDefault(r => r["id"]!.GetValue<string>() == recordId);
            return record is null ? Results.NotFound() : Results.Json(record);
        });
        api.MapGet("/activity-executions/{id}/call-stack", async (string id, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct) =>
        {
            var instanceId = id.Contains(':') ? id[..id.LastIndexOf(':')] : "";
            var record = (await ProjectAsync(instanceId, instances, journal, ct))?.Executions.FirstOrDefault(r => r["id"]!.GetValue<string>() == id);
            JsonArray items = record is null ? [] : [record.DeepClone()];
            return Results.Json(new JsonObject { ["activityExecutionId"] = id, ["items"] = items, ["totalCount"] = items.Count });
        });
        return api;
    }

    private static async Task<IResult> ListAsync(JsonObject? body, IWorkflowInstanceStore instances, CancellationToken ct)
    {
        body ??= [];
        var all = await instances.ListAsync(new InstanceQuery(Limit: 10_000), ct);
        IEnumerable<WorkflowInstanceSummary> rows = all;
        var definitionIds = Set(body["definitionIds"], "definitionIds") ?? (FacadeRequest.String(body["definitionId"], "definitionId") is { } d ? [d] : null);
        if (definitionIds is { Count: > 0 })
            rows = rows.Where(i => definitionIds.Contains(i.DefinitionId));
        var statuses = Set(body["statuses"], "statuses");
        if (statuses is { Count: > 0 })
            rows = rows.Where(i => statuses.Contains(InstanceProjection.Status(i.Status)));
        var subStatuses = Set(body["subStatuses"], "subStatuses");
        if (subStatuses is { Count: > 0 })
            rows = rows.Where(i => subStatuses.Contains(InstanceProjection.SubStatus(i.Status)));
        if (FacadeRequest.String(body["searchTerm"], "searchTerm") is { Length: > 0 } term)
            rows = rows.Where(i => new[] { i.Id, i.DefinitionId, i.DefinitionName, i.CorrelationId }.Any(s => s?.Contains(term, StringComparison.OrdinalIgnoreCase) == true));
        var ascending = FacadeRequest.String(body["orderDirection"], "orderDirection") == "Ascending";
        rows = FacadeRequest.String(body["orderBy"], "orderBy") == "Name"
            ? ascending ? rows.OrderBy(i => i.DefinitionName) : rows.OrderByDescending(i => i.DefinitionName)
            : ascending ? rows.OrderBy(i => i.CreatedAt) : rows.OrderByDescending(i => i.CreatedAt);
        var list = rows.ToList();
        var page = FacadeRequest.Int(body["page"], "page") ?? 0;
        var pageSize = FacadeRequest.Int(body["pageSize"], "pageSize") ?? list.Count;
        return Results.Json(StudioShapes.Paged([.. list.Skip(page * pageSize).Take(pageSize).Select(i => (JsonNode)InstanceProjection.Summary(i))], list.Count));
    }

    private static async Task<IReadOnlyList<JsonObject>> RecordsAsync(HttpRequest request, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct)
    {
        var p = await ProjectAsync(request.Query["WorkflowInstanceId"].ToString(), instances, journal, ct);
        var nodeId = request.Query["ActivityNodeId"].ToString();
        return p is null ? [] : [.. p.Executions.Where(r => string.IsNullOrEmpty(nodeId) || r["activityNodeId"]!.GetValue<string>() == nodeId)];
    }

    private static async Task<InstanceProjection?> ProjectAsync(string id, IWorkflowInstanceStore instances, IJournalStore journal, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id) || await instances.GetAsync(id, ct) is not { } instance)
            return null;
        return new InstanceProjection(instance, await journal.ReadAsync(id, 0, JournalLimit, ct));
    }

    private static HashSet<string>? Set(JsonNode? node, string field) => FacadeRequest.Strings(node, field);
}
