using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>
/// Triggers in a definition (Elsa.Timer, Elsa.Cron, Elsa.StartAt at the start) become a row in the host's schedule
/// table when published, replaced by the next published version, removed on delete; a cron that never fires is refused.
/// Real server (Kestrel, SQLite, Quartz).
/// </summary>
public sealed class DefinitionTriggerTests : IAsyncLifetime
{
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _db.Dispose();
        _timeout.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_published_timer_trigger_is_scheduled_fires_is_replaced_by_a_new_version_and_removed_with_the_definition()
    {
        await using var server = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token);
        await ImportAsync(server, Triggered("trig-flow", "Elsa.Timer", "interval", "TimeSpan", "00:00:01"));

        var schedule = await ScheduleAsync(server, "trg-trig-flow");
        Assert.Equal("0/1 * * * * ?", schedule!["cron"]!.GetValue<string>());
        var run = await WaitForRunAsync(server, "trg-trig-flow");
        Assert.Equal("Started", run["outcome"]!.GetValue<string>());
        var instance = await server.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(run["instanceId"]!.GetValue<string>(), _timeout.Token);
        Assert.Equal("trig-flow", instance!.DefinitionId);

        await ImportAsync(server, Triggered("trig-flow", "Elsa.Cron", "cronExpression", "String", "30 3 * * 1"));
        Assert.Equal("0 30 3 ? * 2", (await ScheduleAsync(server, "trg-trig-flow"))!["cron"]!.GetValue<string>());

        var deleted = await server.Client.DeleteAsync("/api/definitions/trig-flow", _timeout.Token);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await ScheduleAsync(server, "trg-trig-flow"));
    }

    [Fact]
    public async Task A_cron_trigger_that_never_fires_is_refused_at_publish_with_its_message()
    {
        await using var server = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token);

        var response = await server.Client.PostAsync("/api/definitions",
            new StringContent(Triggered("never-flow", "Elsa.Cron", "cronExpression", "String", "0 0 30 2 *"), Encoding.UTF8, "application/json"), _timeout.Token);

        var body = await response.Content.ReadAsStringAsync(_timeout.Token);
        Assert.False(response.IsSuccessStatusCode, body);
        Assert.Contains("never fires", body);
        Assert.Null(await ScheduleAsync(server, "trg-never-flow"));
    }

    [Fact]
    public async Task Definitions_that_use_each_other_as_activities_are_refused_at_publish()
    {
        await using var server = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token);
        await ImportAsync(server, UsesWorkflow("wf-a", "WriteOnly"));
        await ImportAsync(server, UsesWorkflow("wf-b", "wf-a"));

        var response = await server.Client.PostAsync("/api/definitions",
            new StringContent(UsesWorkflow("wf-a", "wf-b"), Encoding.UTF8, "application/json"), _timeout.Token);

        var body = await response.Content.ReadAsStringAsync(_timeout.Token);
        Assert.False(response.IsSuccessStatusCode, body);
        Assert.Contains("cycle", body);
        Assert.Contains("'wf-a' -> 'wf-b' -> 'wf-a'", body);
    }

    // A flowchart whose start is the trigger, then a WriteLine.
    private static string Triggered(string definitionId, string type, string input, string typeName, string value) => TestWorkflows.Build(definitionId,
    [
        TestWorkflows.Activity("trigger1", type, 0, (input, typeName, value)),
        TestWorkflows.Activity("hello1", "Elsa.WriteLine", 200, ("text", "String", "triggered")),
    ], ["trigger1", "hello1"]);

    // A flowchart that runs another definition as an activity ("WriteOnly": none, just a WriteLine).
    private static string UsesWorkflow(string definitionId, string child) => TestWorkflows.Build(definitionId,
    [
        TestWorkflows.Activity("start1", "Elsa.Start", 0),
        TestWorkflows.Activity("child1", child == "WriteOnly" ? "Elsa.WriteLine" : child, 200),
    ], ["start1", "child1"]);

    private async Task ImportAsync(RunningServer server, string json)
    {
        var response = await server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), _timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(_timeout.Token));
    }

    private async Task<JsonObject?> ScheduleAsync(RunningServer server, string id)
    {
        var all = await server.Client.GetFromJsonAsync<JsonArray>("/api/schedules", _timeout.Token);
        return all!.OfType<JsonObject>().FirstOrDefault(s => s["id"]?.GetValue<string>() == id);
    }

    private async Task<JsonObject> WaitForRunAsync(RunningServer server, string scheduleId)
    {
        while (true)
        {
            var runs = await server.Client.GetFromJsonAsync<JsonArray>($"/api/schedules/{scheduleId}/runs", _timeout.Token);
            if (runs!.OfType<JsonObject>().FirstOrDefault() is { } run)
                return run;
            await Task.Delay(250, _timeout.Token);
        }
    }
}
