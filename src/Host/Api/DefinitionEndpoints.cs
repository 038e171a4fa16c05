using Elsa.Migration.Host.Server;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary><c>/api/definitions</c>: import (validated; nothing stored when invalid), list, export, delete.</summary>
public static class DefinitionEndpoints
{
    public static RouteGroupBuilder MapDefinitions(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/definitions").WithTags("Definitions");
        group.MapPost("/", ImportAsync).WithSummary(
            "Imports an Elsa 3 workflow-definition JSON document as a new version (published unless publish=false). " +
            "An invalid document is rejected with every validation problem and nothing is stored.");
        group.MapGet("/", async (DefinitionCatalog catalog, CancellationToken ct) =>
            TypedResults.Ok((await catalog.Store.ListLatestAsync(ct)).Select(DefinitionView.From).ToList())).WithSummary("The latest version of every definition.");
        group.MapGet("/{definitionId}/versions", async (string definitionId, DefinitionCatalog catalog, CancellationToken ct) =>
            TypedResults.Ok((await catalog.Store.ListVersionsAsync(definitionId, ct)).Select(DefinitionView.From).ToList())).WithSummary("Every version, newest first.");
        group.MapGet("/{definitionId}", ExportAsync).WithSummary("Exports a definition as Elsa 3 JSON (the latest version unless version is given).");
        group.MapDelete("/{definitionId}", async Task<Results<NoContent, NotFound>> (string definitionId, DefinitionCatalog catalog, CancellationToken ct) =>
            await catalog.Store.DeleteAsync(definitionId, ct) ? TypedResults.NoContent() : TypedResults.NotFound()).WithSummary("Deletes every version.");
        return api;
    }

    private static async Task<Results<Created<ImportedDefinition>, ProblemHttpResult>> ImportAsync(
        HttpRequest request, DefinitionCatalog catalog, bool? publish, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var json = await reader.ReadToEndAsync(ct);
        var change = await catalog.ImportAsync(json, publish ?? true, ct);
        if (!change.Succeeded)
            return ApiProblem.BadRequest("invalid-definition", "The workflow definition is not valid; nothing was stored.",
                [.. change.Problems.Select(p => p.ToString())]);
        var stored = change.Stored!;
        return TypedResults.Created($"/api/definitions/{stored.DefinitionId}", new ImportedDefinition(stored.DefinitionId, stored.Version, stored.IsPublished));
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(
        string definitionId, int? version, DefinitionCatalog catalog, CancellationToken ct)
    {
        var json = await catalog.ExportAsync(definitionId, version, ct);
        return json is null
            ? ApiProblem.NotFound($"No workflow definition '{definitionId}'{(version is null ? "" : $" version {version}")}.")
            : TypedResults.Content(json, "application/json");
    }
}
