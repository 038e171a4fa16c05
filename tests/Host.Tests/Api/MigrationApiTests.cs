using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>The REST API against a real Kestrel on loopback and a real SQLite file.</summary>
public sealed class MigrationApiTests() : ServerTest(TimeSpan.FromSeconds(90))
{
    [Theory]
    [InlineData("GET", "/api/migrations")]
    [InlineData("GET", "/api/definitions")]
    [InlineData("GET", "/api/schedules")]
    [InlineData("POST", "/api/migrations")]
    [InlineData("GET", "/elsa/api/descriptors/activities?Refresh=True")]
    [InlineData("GET", "/elsa/api/workflow-definitions")]
    [InlineData("POST", "/elsa/api/workflow-instances")]
    public async Task A_call_without_a_token_is_refused_with_401(string method, string path)
    {
        using var anonymous = Server.NewClient(token: null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? JsonContent.Create(new { }) : null };

        using var response = await anonymous.SendAsync(request, Timeout.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_a_Bearer_token_is_accepted()
    {
        using var wrong = Server.NewClient("em_not-the-token");
        using var bearer = Server.NewClient(Server.Token, "Bearer");

        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/migrations", Timeout.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/migrations", Timeout.Token)).StatusCode);
    }

    [Fact]
    public async Task An_invalid_definition_is_rejected_with_its_validation_messages_and_nothing_is_stored()
    {
        var response = await Server.Client.PostAsync("/api/definitions",
            new StringContent(TestWorkflows.Invalid("broken-flow"), Encoding.UTF8, "application/json"), Timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token);
        var problems = body!["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(problems, p => p.Contains("Elsa.WriteLin") && p.Contains("Elsa.WriteLine")); // unknown type, with the closest name
        Assert.Contains(problems, p => p.Contains("ghost1"));                                        // the dangling connection
        var store = Server.Services.GetRequiredService<IWorkflowDefinitionStore>();
        Assert.Null(await store.GetLatestAsync("broken-flow", Timeout.Token));
        Assert.Empty(await store.ListLatestAsync(Timeout.Token));
    }

    [Fact]
    public async Task A_migration_is_started_observed_through_SSE_and_cancelled()
    {
        await ImportAsync(TestWorkflows.Delaying("delay-flow", "00:05:00"));

        var start = await Server.Client.PostAsJsonAsync("/api/migrations",
            Start("delay-flow", "101"), Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var instanceId = (await start.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["instanceId"]!.GetValue<string>();

        using var events = await Server.Client.GetAsync($"/api/migrations/{instanceId}/events", HttpCompletionOption.ResponseHeadersRead, Timeout.Token);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        var seen = new List<SseItem<string>>();
        var cancelled = false;
        await foreach (var item in SseParser.Create(await events.Content.ReadAsStreamAsync(Timeout.Token)).EnumerateAsync(Timeout.Token))
        {
            seen.Add(item);
            var data = JsonNode.Parse(item.Data)!;
            // The delay has started and suspended the instance: the migration is observably under way; cancel it.
            if (!cancelled && item.EventType == "journal" && data["kind"]?.GetValue<string>() == "ActivitySuspended" && data["activityId"]?.GetValue<string>() == "delay1")
            {
                var cancel = await Server.Client.PostAsync($"/api/migrations/{instanceId}/cancel", null, Timeout.Token);
                Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
                cancelled = true;
            }
        }

        Assert.True(cancelled, "the SSE stream never showed the Delay activity suspending: " + string.Join(" | ", seen.Select(s => s.EventType + " " + s.Data)));
        Assert.Contains(seen, s => s.EventType == "journal" && s.Data.Contains("\"hello1\"") && s.Data.Contains("ActivityCompleted"));
        var last = seen[^1];
        Assert.Equal("status", last.EventType);
        Assert.Equal("Cancelled", JsonNode.Parse(last.Data)!["status"]!.GetValue<string>());
        Assert.DoesNotContain(seen, s => s.Data.Contains("\"bye1\""));

        var view = await Server.Client.GetFromJsonAsync<JsonObject>($"/api/migrations/{instanceId}", Timeout.Token);
        Assert.Equal("Cancelled", view!["status"]!.GetValue<string>());
        Assert.NotEmpty(view["journal"]!.AsArray());
        // The VM lock went with the instance.
        Assert.Empty(await Server.Services.GetRequiredService<VmLockStore>().ListAsync(Timeout.Token));
    }

    [Fact]
    public async Task A_second_migration_of_the_same_VM_is_refused_while_the_first_runs()
    {
        await ImportAsync(TestWorkflows.Delaying("delay-flow", "00:05:00"));
        var first = await Server.Client.PostAsJsonAsync("/api/migrations", Start("delay-flow", "200"), Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        var locks = await Server.Services.GetRequiredService<VmLockStore>().ListAsync(Timeout.Token);
        Assert.Single(locks, l => l.VmId == "200");
        var second = await Server.Client.PostAsJsonAsync("/api/migrations", Start("delay-flow", "200"), Timeout.Token);
        var other = await Server.Client.PostAsJsonAsync("/api/migrations", Start("delay-flow", "201"), Timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("vm-busy", await second.Content.ReadAsStringAsync(Timeout.Token));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_API()
    {
        using var anonymous = Server.NewClient(token: null);
        var document = await anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Timeout.Token);

        var paths = document!["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/api/migrations", paths);
        Assert.Contains("/api/migrations/{id}/events", paths);
        Assert.Contains("/api/migrations/{id}/cancel", paths);
        Assert.Contains("/api/schedules", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/elsa/api", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_migration_refused_by_Preflight_shows_outcome_Refused_with_the_reason_not_a_success()
    {
        await ImportAsync(await File.ReadAllTextAsync(Lab.MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token));
        var body = Start("live-migrate", "no-such-vm");
        body["inputs"]!["SourceNode"] = "lab-a";
        body["inputs"]!["TargetNode"] = "lab-b";
        // A registered site without that VM: Preflight refuses it (after the start was admitted), before anything is created.
        await TestSites.RegisterAsync(Server.Client, "test-site", Timeout.Token);
        body["inputs"]!["Site"] = "test-site";

        var start = await Server.Client.PostAsJsonAsync("/api/migrations", body, Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var instanceId = (await start.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["instanceId"]!.GetValue<string>();
        using var events = await Server.Client.GetAsync($"/api/migrations/{instanceId}/events", HttpCompletionOption.ResponseHeadersRead, Timeout.Token);
        var status = await SseParser.Create(await events.Content.ReadAsStreamAsync(Timeout.Token)).EnumerateAsync(Timeout.Token)
            .LastAsync(Timeout.Token);
        var view = await Server.Client.GetFromJsonAsync<JsonObject>($"/api/migrations/{instanceId}", Timeout.Token);
        var row = (await Server.Client.GetFromJsonAsync<JsonArray>("/api/migrations", Timeout.Token))!.Single(r => r!["id"]!.GetValue<string>() == instanceId)!;

        Assert.Equal("status", status.EventType);
        var ended = JsonNode.Parse(status.Data)!;
        Assert.Equal("Refused", ended["outcome"]!.GetValue<string>());
        Assert.Equal("Faulted", view!["status"]!.GetValue<string>());
        Assert.Equal("Refused", view["outcome"]!.GetValue<string>());
        var reason = view["reason"]!.GetValue<string>();
        Assert.StartsWith("inventory: ", reason);
        Assert.Contains("no-such-vm", reason);
        Assert.Equal(reason, view["error"]!.GetValue<string>());
        Assert.Equal(reason, ended["reason"]!.GetValue<string>());
        Assert.Equal("Refused", row["outcome"]!.GetValue<string>());
        Assert.Equal(reason, row["reason"]!.GetValue<string>());
    }

    internal static JsonObject Start(string definitionId, string vmId) =>
        new() { ["definitionId"] = definitionId, ["inputs"] = new JsonObject { ["VmId"] = vmId } };

    private async Task ImportAsync(string json)
    {
        var response = await Server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
    }
}
