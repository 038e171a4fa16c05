using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>A trigger that can never fire is refused when it is added (CLI and API), and one already in the database
/// does not stop <c>serve</c>: it is marked broken and the start-up recovery still runs.</summary>
public sealed class NeverFiringScheduleTests : IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));

    public void Dispose()
    {
        _db.Dispose();
        _timeout.Dispose();
    }

    [Theory]
    [InlineData("0 0 0 1 1 ? 2020")]
    [InlineData("0 0 0 1 1 ? 2999")]
    public async Task Schedule_add_WithACronThatNeverFires_ShouldExit2WithTheReasonAndStoreNothing(string cron)
    {
        var (exitCode, output, error) = await CliProcess.RunAsync(_db.Path, "schedule", "add", "some-flow", "--cron", cron);

        Assert.True(exitCode == 2, $"exit {exitCode}\n{output}\n{error}");
        Assert.Contains("never fire", error);
        Assert.Empty((await CliProcess.RunAsync(_db.Path, "schedule", "list")).Output.Trim());
    }

    [Theory]
    [InlineData("0 0 0 1 1 ? 2020")]
    [InlineData("0 0 0 1 1 ? 2999")]
    public async Task The_API_refuses_a_cron_that_never_fires_with_400_and_stores_nothing(string cron)
    {
        await using var server = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token);

        var response = await server.Client.PostAsJsonAsync("/api/schedules",
            new JsonObject { ["definitionId"] = "some-flow", ["cron"] = cron }, _timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("never fire", await response.Content.ReadAsStringAsync(_timeout.Token));
        Assert.Empty((await server.Client.GetFromJsonAsync<JsonArray>("/api/schedules", _timeout.Token))!);
    }

    [Fact]
    public async Task Serve_WithANeverFiringScheduleStored_ShouldStartMarkItBrokenAndRecoverInterruptedInstances()
    {
        string token, instanceId;
        await using (var first = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token))
        {
            token = first.Token;
            var imported = await first.Client.PostAsync("/api/definitions",
                new StringContent(TestWorkflows.Delaying("recovered-flow", "00:00:03"), Encoding.UTF8, "application/json"), _timeout.Token);
            Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(_timeout.Token));
            var started = await first.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("recovered-flow", "501"), _timeout.Token);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            instanceId = (await started.Content.ReadFromJsonAsync<JsonObject>(_timeout.Token))!["instanceId"]!.GetValue<string>();
        }
        // As a crash leaves it (the instance Running), plus a schedule an older version stored without checking its cron.
        await using (var connection = new SqliteConnection($"Data Source={_db.Path};Pooling=False"))
        {
            await connection.ExecuteAsync("UPDATE instances SET status = 'Running' WHERE id = @instanceId", new { instanceId });
            await connection.ExecuteAsync(
                """
                INSERT INTO host_schedules (id, definition_id, inputs_json, kind, cron, misfire, created_at)
                VALUES ('sch-never', 'recovered-flow', '{}', 'Cron', '0 0 0 1 1 ? 2020', 'Skip', @now)
                """, new { now = DateTimeOffset.UtcNow.ToString("O") });
        }

        await using var second = await RunningServer.StartAsync(_db.Path, token, cancellationToken: _timeout.Token);

        var schedule = await second.Client.GetFromJsonAsync<JsonObject>("/api/schedules/sch-never", _timeout.Token);
        Assert.Contains("never fire", schedule!["brokenReason"]!.GetValue<string>());
        var listed = await CliProcess.RunAsync(_db.Path, "schedule", "list");
        Assert.Contains("BROKEN", listed.Output);
        var instances = second.Services.GetRequiredService<IWorkflowInstanceStore>();
        while ((await instances.GetAsync(instanceId, _timeout.Token))!.Status != WorkflowStatus.Finished)
            await Task.Delay(200, _timeout.Token);
    }
}
