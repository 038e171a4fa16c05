using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Studio;

/// <summary>Studio's definition list and editor: list, open, create, auto-save, publish, retract, delete.</summary>
public static class FacadeDefinitionEndpoints
{
    public static RouteGroupBuilder MapFacadeDefinitions(this RouteGroupBuilder api)
    {
        api.MapGet("/workflow-definitions", ListAsync);
        api.MapGet("/workflow-definitions/query/count", async (DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(new JsonObject { ["count"] = (await catalog.Store.ListLatestAsync(ct)).Count }));
        api.MapGet("/workflow-definitions/validation/is-name-unique", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var name = request.Query["name"].ToString();
            var definitionId = request.Query["definitionId"].ToString();
            var latest = await catalog.Store.ListLatestAsync(ct);
            return Results.Json(new JsonObject { ["isUnique"] = !latest.Any(d => d.Name == name && d.DefinitionId != definitionId) });
        });
        api.MapGet("/workflow-definitions/by-definition-id/{definitionId}", async (string definitionId, HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var options = request.Query["versionOptions"].ToString();
            var found = (await catalog.Store.ListVersionsAsync(definitionId, ct))
                .Where(v => VersionOptions.Match(v, string.IsNullOrEmpty(options) ? "Latest" : options))
                .MaxBy(v => v.Version);
            return found is null ? Results.NotFound() : Results.Json(StudioShapes.Definition(found));
        });
        api.MapGet("/workflow-definitions/by-id/{versionId}", async (string versionId, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            if (!StudioShapes.TryParseVersionId(versionId, out var definitionId, out var version))
                return Results.NotFound();
            var found = await catalog.Store.GetVersionAsync(definitionId, version, ct);
            return found is null ? Results.NotFound() : Results.Json(StudioShapes.Definition(found));
        });
        api.MapGet("/workflow-definitions/many-by-id", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var ids = request.Query["ids"].Select(i => i ?? "").ToHashSet();
            var all = await catalog.ListAllVersionsAsync(ct);
            return Results.Json(StudioShapes.Items([.. all.Where(v => ids.Contains(StudioShapes.VersionId(v.DefinitionId, v.Version)))
                .Select(v => (JsonNode)StudioShapes.Definition(v))]));
        });
        api.MapPost("/workflow-definitions", SaveAsync);
        api.MapPost("/workflow-definitions/{definitionId}/publish", async (string definitionId, DefinitionCatalog catalog, CancellationToken ct) =>
            await PublishedAsync(catalog, definitionId, await catalog.PublishLatestAsync(definitionId, ct), ct));
        api.MapPost("/workflow-definitions/{definitionId}/retract", async (string definitionId, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var published = await catalog.Store.GetPublishedAsync(definitionId, ct);
            if (published is null || !await catalog.Store.RetractAsync(definitionId, ct))
                return StudioShapes.ValidationErrors([$"Workflow definition '{definitionId}' is not published."]);
            var after = await catalog.Store.GetVersionAsync(definitionId, published.Version, ct);
            return Results.Json(StudioShapes.Definition(after!));
        });
        api.MapDelete("/workflow-definitions/{definitionId}", async (string definitionId, DefinitionCatalog catalog, CancellationToken ct) =>
            await catalog.Store.DeleteAsync(definitionId, ct) ? Results.NoContent() : Results.NotFound());
        api.MapPost("/bulk-actions/delete/workflow-definitions/by-definition-id", async (JsonObject body, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var deleted = 0;
            foreach (var id in Strings(body["definitionIds"]))
                deleted += await catalog.Store.DeleteAsync(id, ct) ? 1 : 0;
            return Results.Json(new JsonObject { ["deleted"] = deleted });
        });
        api.MapPost("/bulk-actions/publish/workflow-definitions/by-definition-ids", async (JsonObject body, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            JsonArray published = [], alreadyPublished = [], notFound = [], skipped = [];
            foreach (var id in Strings(body["definitionIds"]))
            {
                var change = await catalog.PublishLatestAsync(id, ct);
                var list = change.Problems.Any(p => p.Code == "not-found") ? notFound
                    : !change.Succeeded ? skipped : change.AlreadyPublished ? alreadyPublished : published;
                list.Add(id);
            }
            // Studio reads .Count of all four arrays.
            return Results.Json(new JsonObject
            {
                ["published"] = published,
                ["alreadyPublished"] = alreadyPublished,
                ["notFound"] = notFound,
                ["skipped"] = skipped,
                ["updatedConsumers"] = new JsonArray(),
            });
        });
        api.MapPost("/bulk-actions/retract/workflow-definitions/by-definition-ids", async (JsonObject body, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            JsonArray retracted = [], alreadyRetracted = [];
            foreach (var id in Strings(body["definitionIds"]))
                (await catalog.Store.RetractAsync(id, ct) ? retracted : alreadyRetracted).Add(id);
            return Results.Json(new JsonObject
            {
                ["retracted"] = retracted,
                ["alreadyRetracted"] = alreadyRetracted,
                ["notFound"] = new JsonArray(),
                ["skipped"] = new JsonArray(),
            });
        });
        return api;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, DefinitionCatalog catalog, CancellationToken ct)
    {
        var query = request.Query;
        var options = query["versionOptions"].ToString();
        var ids = query["Ids"].Select(i => i ?? "").ToHashSet();
        var definitionIds = query["DefinitionIds"].Select(i => i ?? "").ToHashSet();
        var term = query["SearchTerm"].ToString();
        IEnumerable<StoredWorkflowDefinition> rows = (await catalog.ListAllVersionsAsync(ct)).Where(v => VersionOptions.Match(v, options));
        if (ids.Count > 0)
            rows = rows.Where(v => ids.Contains(StudioShapes.VersionId(v.DefinitionId, v.Version)));
        if (definitionIds.Count > 0)
            rows = rows.Where(v => definitionIds.Contains(v.DefinitionId));
        if (!string.IsNullOrEmpty(term))
            rows = rows.Where(v => v.DefinitionId.Contains(term, StringComparison.OrdinalIgnoreCase) || v.Name.Contains(term, StringComparison.OrdinalIgnoreCase)
                                   || v.Json.Contains(term, StringComparison.OrdinalIgnoreCase));
        var descending = query["OrderDirection"].ToString() == "Descending";
        rows = query["OrderBy"].ToString() switch
        {
            "Name" => descending ? rows.OrderByDescending(v => v.Name) : rows.OrderBy(v => v.Name),
            "Version" => descending ? rows.OrderByDescending(v => v.Version) : rows.OrderBy(v => v.Version),
            "Created" => descending ? rows.OrderByDescending(v => v.CreatedAt) : rows.OrderBy(v => v.CreatedAt),
            _ => rows.OrderByDescending(v => v.CreatedAt),
        };
        var list = rows.ToList();
        IEnumerable<StoredWorkflowDefinition> page = list;
        // Page is 0-based; the instance list asks without paging and wants everything.
        if (int.TryParse(query["Page"], out var pageIndex) && int.TryParse(query["PageSize"], out var pageSize) && pageSize > 0)
            page = list.Skip(pageIndex * pageSize).Take(pageSize);
        return Results.Json(StudioShapes.Paged([.. page.Select(v => (JsonNode)StudioShapes.Summary(v))], list.Count, StudioShapes.ListLinks()));
    }

    private static async Task<IResult> SaveAsync(JsonObject body, DefinitionCatalog catalog, IActivityRegistry registry, CancellationToken ct)
    {
        if (body["model"] is not JsonObject model)
            return StudioShapes.ValidationErrors(["The request has no 'model'."]);
        // Everything the save depends on is read before anything is written: a wrong type is a 400, not a draft and a 500.
        var publish = FacadeRequest.Bool(body["publish"], "publish") == true;
        var definitionId = FacadeRequest.String(model["definitionId"], "model.definitionId");
        var name = FacadeRequest.String(model["name"], "model.name");
        if (string.IsNullOrEmpty(definitionId))
        {
            // Studio's create dialog offers the roots Elsa has (Flowchart, Sequence, State machine); host.js hides the ones
            // this runtime lacks, and a create that still names one is refused with the reason instead of a draft that can
            // never be published.
            if (model["root"]?["type"] is JsonValue rootType && rootType.ToString() is var type && registry.Find(type) is null && type != ActivityDescriptorMapper.FlowchartType)
                return StudioShapes.ValidationErrors([$"This runtime has no '{type}' root activity: create the workflow as a Flowchart or a Sequence."]);
            // "Create workflow": Studio sends no ids; a readable, unique definition id from the name.
            model["definitionId"] = Slug(name) + "-" + Guid.NewGuid().ToString("N")[..6];
        }
        else if (await catalog.Store.GetLatestAsync(definitionId, ct) is { } previous
                 && JsonNode.Parse(previous.Json) is JsonObject previousModel)
        {
            StudioDroppedProperties.Restore(model, previousModel);
        }
        model["root"] ??= new JsonObject { ["id"] = "flowchart1", ["type"] = ActivityDescriptorMapper.FlowchartType, ["version"] = 1, ["activities"] = new JsonArray(), ["connections"] = new JsonArray() };
        StudioShapes.AssignNodeIds(model["root"] as JsonObject);
        var saved = await catalog.SaveDraftAsync(model, ct);
        if (!saved.Succeeded)
            return StudioShapes.ValidationErrors(saved.Problems.Select(p => StudioProblemText.Describe(p, model)));
        if (publish)
            return await PublishedAsync(catalog, saved.Stored!.DefinitionId, await catalog.PublishLatestAsync(saved.Stored!.DefinitionId, ct), ct);
        return Results.Json(StudioShapes.SaveResponse(saved.Stored!, alreadyPublished: false));
    }

    private static async Task<IResult> PublishedAsync(DefinitionCatalog catalog, string definitionId, DefinitionChange change, CancellationToken ct)
    {
        if (change.Succeeded)
            return Results.Json(StudioShapes.SaveResponse(change.Stored!, change.AlreadyPublished));
        if (change.Problems.Any(p => p.Code == "not-found"))
            return Results.NotFound();
        var latest = await catalog.Store.GetLatestAsync(definitionId, ct);
        var model = latest is null ? null : JsonNode.Parse(latest.Json) as JsonObject;
        return StudioShapes.ValidationErrors(change.Problems.Select(p => StudioProblemText.Describe(p, model)));
    }

    private static IEnumerable<string> Strings(JsonNode? node) => FacadeRequest.Strings(node, "definitionIds") ?? [];

    private static string Slug(string? name)
    {
        var slug = new string((name ?? "workflow").ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return string.IsNullOrEmpty(slug) ? "workflow" : slug[..Math.Min(slug.Length, 40)];
    }
}

/// <summary>Elsa's <c>VersionOptions</c> as Studio sends them; empty means every version.</summary>
public static class VersionOptions
{
    public static bool Match(StoredWorkflowDefinition v, string? options) => options switch
    {
        null or "" or "AllVersions" => true,
        "Latest" => v.IsLatest,
        "Published" => v.IsPublished,
        "LatestOrPublished" => v.IsLatest || v.IsPublished,
        "LatestAndPublished" => v.IsLatest && v.IsPublished,
        "Draft" => !v.IsPublished,
        _ => int.TryParse(options, out var n) && v.Version == n,
    };
}
