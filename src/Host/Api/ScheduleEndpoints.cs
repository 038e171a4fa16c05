using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Elsa.Migration.Host.Api;

/// <summary><c>/api/schedules</c>: create (one-shot or cron, with a misfire policy), list, runs, delete.</summary>
public static class ScheduleEndpoints
{
    public static RouteGroupBuilder MapSchedules(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/schedules").WithTags("Schedules");
        group.MapPost("/", CreateAsync).WithSummary(
            "Creates a schedule that starts a definition with inputs: fireAt (one-shot) or cron (Quartz syntax, with seconds). " +
            "misfire: Skip (default: a window missed while the host was down does not start late) or RunIfLate with misfireWindow.");
        group.MapGet("/", async (ScheduleService schedules, CancellationToken ct) => TypedResults.Ok(await schedules.ListAsync(ct)));
        group.MapGet("/{id}", async Task<Results<Ok<Schedule>, NotFound>> (string id, ScheduleService schedules, CancellationToken ct) =>
            await schedules.FindAsync(id, ct) is { } s ? TypedResults.Ok(s) : TypedResults.NotFound());
        group.MapGet("/{id}/runs", async (string id, ScheduleStore store, IWorkflowInstanceStore instances, MigrationOutcomeReader outcomes, CancellationToken ct) =>
            TypedResults.Ok(await ScheduleRunView.ListAsync(id, store, instances, outcomes, ct)))
            .WithSummary("What happened at each fire time: Started (with the instance), Missed, Refused (VM busy, node full) or Failed.");
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFound>> (string id, ScheduleService schedules, CancellationToken ct) =>
            await schedules.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound());
        return api;
    }

    private static async Task<Results<Created<Schedule>, ProblemHttpResult>> CreateAsync(
        CreateScheduleRequest body, ScheduleService schedules, CancellationToken ct)
    {
        var (schedule, problems) = await schedules.CreateAsync(body, ct);
        return schedule is null
            ? ApiProblem.BadRequest("invalid-schedule", "The schedule is not valid: " + string.Join(" ", problems), problems)
            : TypedResults.Created($"/api/schedules/{schedule.Id}", schedule);
    }
}
