using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>Schedules through the REST API against real servers (Kestrel, SQLite, Quartz), including restarts.</summary>
public sealed class ScheduleTests : IAsyncLifetime
{
    // Fires more than a second late count as missed here, so a short outage is enough to miss a window.
    // Tight enough that the misfire test stays short, loose enough that a loaded machine's late fire still counts as on time.
    private static readonly TimeSpan OnTimeTolerance = TimeSpan.FromSeconds(5);
    private static readonly Dictionary<string, string?> Settings = new() { ["Scheduling:OnTimeTolerance"] = OnTimeTolerance.ToString("c") };
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _db.Dispose();
        _timeout.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_one_shot_schedule_starts_its_migration()
    {
        await using var server = await StartAsync();
        var id = await CreateAsync(server, OneShot(DateTimeOffset.UtcNow.AddSeconds(2), "301"));

        var run = await WaitForRunAsync(server, id, _ => true);
        Assert.Equal("Started", run["outcome"]!.GetValue<string>());

        var instanceId = run["instanceId"]!.GetValue<string>();
        var instance = await server.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, _timeout.Token);
        Assert.NotNull(instance);
        Assert.Equal("sched-flow", instance.DefinitionId);
        Assert.Equal("301", instance.Inputs["VmId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_scheduled_migration_that_rolls_back_shows_RolledBack_and_the_reason_in_its_run()
    {
        await using var server = await StartAsync();
        var shipped = await File.ReadAllTextAsync(Lab.MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), _timeout.Token);
        var imported = await server.Client.PostAsync("/api/definitions", new StringContent(shipped, Encoding.UTF8, "application/json"), _timeout.Token);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(_timeout.Token));
        var body = OneShot(DateTimeOffset.UtcNow.AddSeconds(2), "no-such-vm");
        body["definitionId"] = "live-migrate";
        body["inputs"] = new JsonObject
        {
            ["VmId"] = "no-such-vm",
            ["SourceNode"] = "lab-a",
            ["TargetNode"] = "lab-b",
            ["Site"] = "test-site",
        };
        await TestSites.RegisterAsync(server.Client, "test-site", _timeout.Token);
        var id = await CreateAsync(server, body);

        // Preflight finds no such VM in the site: refused at once, and the run says so (not just "Started").
        var run = await WaitForRunAsync(server, id, r => r["migrationOutcome"] is not null);

        Assert.Equal("Started", run["outcome"]!.GetValue<string>());
        Assert.Equal("Faulted", run["instanceStatus"]!.GetValue<string>());
        Assert.Equal("Refused", run["migrationOutcome"]!.GetValue<string>());
        Assert.StartsWith("inventory: ", run["migrationReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_schedule_created_before_a_restart_still_fires_after_it()
    {
        string token, id;
        DateTimeOffset fireAt;
        await using (var before = await StartAsync())
        {
            token = before.Token;
            // Far enough ahead that a slow restart on a loaded machine still comes before the window (else it is a misfire, another test).
            fireAt = DateTimeOffset.UtcNow.AddSeconds(20);
            id = await CreateAsync(before, OneShot(fireAt, "302"));
        }

        await using var after = await RunningServer.StartAsync(_db.Path, token, Settings, _timeout.Token);
        Assert.True(DateTimeOffset.UtcNow < fireAt, "the restart took longer than the lead time; the test cannot show an on-time fire");
        var run = await WaitForRunAsync(after, id, _ => true);
        Assert.Equal("Started", run["outcome"]!.GetValue<string>());

        Assert.NotNull(await after.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(run["instanceId"]!.GetValue<string>(), _timeout.Token));
    }

    [Fact]
    public async Task A_window_missed_while_the_host_was_down_follows_each_schedules_misfire_policy()
    {
        string token, skip, late;
        DateTimeOffset fireAt;
        await using (var before = await StartAsync())
        {
            token = before.Token;
            fireAt = DateTimeOffset.UtcNow.AddSeconds(4);
            skip = await CreateAsync(before, OneShot(fireAt, "303"));
            late = await CreateAsync(before, OneShot(fireAt, "304", misfire: "RunIfLate", window: "00:10:00"));
        }
        Assert.True(DateTimeOffset.UtcNow < fireAt, "the host took longer to stop than the lead time: the window was not missed while it was down");
        // Down through the window and past the on-time tolerance.
        await Task.Delay(fireAt - DateTimeOffset.UtcNow + OnTimeTolerance + TimeSpan.FromSeconds(2), _timeout.Token);

        await using var after = await RunningServer.StartAsync(_db.Path, token, Settings, _timeout.Token);
        var skipped = await WaitForRunAsync(after, skip, _ => true);
        var started = await WaitForRunAsync(after, late, _ => true);

        Assert.Equal("Missed", skipped["outcome"]!.GetValue<string>());
        Assert.Null(skipped["instanceId"]);
        Assert.Equal("Started", started["outcome"]!.GetValue<string>());
        var instances = await after.Services.GetRequiredService<IWorkflowInstanceStore>().ListAsync(new InstanceQuery(), _timeout.Token);
        Assert.Single(instances);
        // Nothing more happens to the skipped one: it is done.
        var schedule = await after.Client.GetFromJsonAsync<JsonObject>($"/api/schedules/{skip}", _timeout.Token);
        Assert.True(schedule!["completed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Two_schedules_for_the_same_VM_never_run_it_twice_at_once()
    {
        await using var server = await StartAsync();
        var fireAt = DateTimeOffset.UtcNow.AddSeconds(3);
        var first = await CreateAsync(server, OneShot(fireAt, "305"));
        var second = await CreateAsync(server, OneShot(fireAt, "305"));

        var a = await WaitForRunAsync(server, first, _ => true);
        var b = await WaitForRunAsync(server, second, _ => true);

        var outcomes = new[] { a, b }.Select(r => r["outcome"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["Refused", "Started"], outcomes);
        Assert.Contains("vm-busy", new[] { a, b }.Single(r => r["outcome"]!.GetValue<string>() == "Refused")["message"]!.GetValue<string>());
        var instances = await server.Services.GetRequiredService<IWorkflowInstanceStore>().ListAsync(new InstanceQuery(), _timeout.Token);
        Assert.Single(instances);
    }

    [Fact]
    public async Task An_invalid_schedule_is_refused_with_what_is_wrong()
    {
        await using var server = await StartAsync();
        var response = await server.Client.PostAsJsonAsync("/api/schedules",
            new JsonObject { ["definitionId"] = "sched-flow", ["cron"] = "every night", ["misfire"] = "RunIfLate" }, _timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(_timeout.Token);
        Assert.Contains("not a valid Quartz cron expression", body);
        Assert.Contains("misfireWindow", body);
    }

    private async Task<RunningServer> StartAsync()
    {
        var server = await RunningServer.StartAsync(_db.Path, configuration: Settings, cancellationToken: _timeout.Token);
        var imported = await server.Client.PostAsync("/api/definitions",
            new StringContent(TestWorkflows.Delaying("sched-flow", "00:05:00"), Encoding.UTF8, "application/json"), _timeout.Token);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(_timeout.Token));
        return server;
    }

    private static JsonObject OneShot(DateTimeOffset fireAt, string vmId, string misfire = "Skip", string? window = null) => new()
    {
        ["definitionId"] = "sched-flow",
        ["inputs"] = new JsonObject { ["VmId"] = vmId },
        ["fireAt"] = fireAt.ToString("O"),
        ["misfire"] = misfire,
        ["misfireWindow"] = window,
    };

    private async Task<string> CreateAsync(RunningServer server, JsonObject body)
    {
        var response = await server.Client.PostAsJsonAsync("/api/schedules", body, _timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(_timeout.Token));
        return (await response.Content.ReadFromJsonAsync<JsonObject>(_timeout.Token))!["id"]!.GetValue<string>();
    }

    private async Task<JsonObject> WaitForRunAsync(RunningServer server, string scheduleId, Func<JsonObject, bool> match)
    {
        while (true)
        {
            var runs = await server.Client.GetFromJsonAsync<JsonArray>($"/api/schedules/{scheduleId}/runs", _timeout.Token);
            if (runs!.OfType<JsonObject>().FirstOrDefault(match) is { } run)
                return run;
            await Task.Delay(250, _timeout.Token);
        }
    }
}
