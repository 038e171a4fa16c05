using Elsa.Migration.Activities.Migration.Preflight;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary>A dry run's question: the VM, the target, and optionally the site (default: Sites:Default) and the source (default: where the VM runs).</summary>
public sealed record PlanMigrationBody(string? VmId, string? TargetNode, string? Site = null, string? SourceNode = null);

/// <summary><c>POST /api/migrations/plan</c>: runs only Preflight (nothing changes on any node, nothing is stored) and answers its report.</summary>
public static class PlanEndpoint
{
    public static RouteGroupBuilder MapMigrationPlan(this RouteGroupBuilder api)
    {
        api.MapPost("/migrations/plan", PlanAsync).WithTags("Migrations").WithSummary(
            "Dry run: every Preflight check and the estimate of a migration, without changing anything. 200 with canRun and every refusal; 400 for a malformed body.");
        return api;
    }

    private static async Task<Results<Ok<PreflightReport>, ProblemHttpResult>> PlanAsync(PlanMigrationBody body, MigrationPreflight preflight, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.VmId) || string.IsNullOrWhiteSpace(body.TargetNode))
            return ApiProblem.BadRequest("invalid-plan", "Give vmId and targetNode (and site unless the host has a default site; sourceNode is found when left out).");
        var report = await preflight.RunAsync(new PreflightRequest(body.VmId, Empty(body.SourceNode), body.TargetNode, Empty(body.Site)),
            keepSourceSession: false, ct);
        return TypedResults.Ok(report);
    }

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
