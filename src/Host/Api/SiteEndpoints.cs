using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Host.Sites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary>A site to register: its name and its inventory document.</summary>
public sealed record RegisterSiteBody(string? Name, JsonObject? Inventory);

/// <summary>A site as listed.</summary>
public sealed record SiteView(string Name, int Version, int Versions, DateTimeOffset UpdatedAt);

/// <summary>One version of a site with its inventory.</summary>
public sealed record SiteDetailView(string Name, int Version, DateTimeOffset CreatedAt, JsonNode? Inventory);

/// <summary>A site's nodes and VMs with where each VM runs now.</summary>
public sealed record SiteVmsView(string Name, int Version, IReadOnlyList<string> Nodes, IReadOnlyList<SiteVm> Vms);

/// <summary><c>/api/sites</c>: register (validated; nothing stored when invalid), list, get, delete. Sites are named,
/// never given as paths: the server reads no file for them.</summary>
public static class SiteEndpoints
{
    public static RouteGroupBuilder MapSites(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sites").WithTags("Sites");
        group.MapPost("/", RegisterAsync).WithSummary(
            "Registers {name, inventory} as the next version of the site. An invalid name or inventory is rejected with every problem and nothing is stored.");
        group.MapGet("/", async (SiteStore store, CancellationToken ct) =>
            TypedResults.Ok((await store.ListAsync(ct)).Select(s => new SiteView(s.Name, s.LatestVersion, s.Versions, s.UpdatedAt)).ToList()))
            .WithSummary("Every site with its latest version.");
        group.MapGet("/{name}", GetAsync).WithSummary("A site's inventory (the latest version unless version is given).");
        group.MapGet("/{name}/vms", VmsAsync).WithSummary(
            "The site's VMs and where each runs now (every node asked; a node that could not be asked makes the answer 'unknown', never 'stopped').");
        group.MapDelete("/{name}", async Task<Results<NoContent, ProblemHttpResult>> (string name, SiteStore store, CancellationToken ct) =>
            NameRules.IsSiteName(name) && await store.DeleteAsync(name, ct) > 0 ? TypedResults.NoContent() : ApiProblem.NotFound($"No site '{name}'."))
            .WithSummary("Deletes every version; running migrations are unaffected (their plans carry the nodes).");
        return api;
    }

    private static async Task<Results<Created<SiteView>, ProblemHttpResult>> RegisterAsync(RegisterSiteBody body, SiteRegistration registration, CancellationToken ct)
    {
        if (body.Inventory is null)
            return ApiProblem.BadRequest("invalid-site", "The body needs 'inventory': the site's inventory document (nodes, VMs, disks); nothing was stored.",
                ["'inventory' is missing or not a JSON object."]);
        var registered = await registration.RegisterAsync(body.Name, body.Inventory.ToJsonString(), ct);
        if (registered.Stored is not { } stored)
            return ApiProblem.BadRequest("invalid-site", "The site is not valid; nothing was stored.", registered.Problems);
        return TypedResults.Created($"/api/sites/{stored.Name}", new SiteView(stored.Name, stored.Version, stored.Version, stored.CreatedAt));
    }

    private static async Task<Results<Ok<SiteVmsView>, ProblemHttpResult>> VmsAsync(string name, SiteStore store, SiteVmLocator locator, CancellationToken ct)
    {
        var stored = NameRules.IsSiteName(name) ? await store.GetAsync(name, null, ct) : null;
        if (stored is null)
            return ApiProblem.NotFound($"No site '{name}'.");
        var inventory = SiteInventory.Parse(stored.InventoryJson, $"site '{name}'");
        return TypedResults.Ok(new SiteVmsView(stored.Name, stored.Version, [.. inventory.Nodes.Select(n => n.Name)], await locator.LocateAsync(inventory, ct)));
    }

    private static async Task<Results<Ok<SiteDetailView>, ProblemHttpResult>> GetAsync(string name, int? version, SiteStore store, CancellationToken ct)
    {
        var stored = NameRules.IsSiteName(name) ? await store.GetAsync(name, version, ct) : null;
        return stored is null
            ? ApiProblem.NotFound($"No site '{name}'{(version is { } v ? $" version {v}" : "")}.")
            : TypedResults.Ok(new SiteDetailView(stored.Name, stored.Version, stored.CreatedAt, JsonNode.Parse(stored.InventoryJson)));
    }
}
