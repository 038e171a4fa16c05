using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>
/// Two servers (the real composition, Quartz each) on one database, on each engine: a schedule every 2 s for ~20 s
/// starts exactly one instance per fire time (one run row each), although both hosts' Quartz fire every time.
/// </summary>
public abstract class ClusteredScheduleTests(PostgreSqlServer? server, DatabaseEngine engine, ITestOutputHelper output) : StoreTestBase(server, engine)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 120_000)]
    public async Task TwoHosts_ShouldStartEachFireTimeOfAScheduleOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var hostA = await RunningServer.StartAsync(Store.Setting, cancellationToken: timeout.Token);
        var quick = TestWorkflows.Quick();
        var imported = await hostA.Client.PostAsync("/api/definitions", new StringContent(quick, Encoding.UTF8, "application/json"), timeout.Token);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(timeout.Token));
        var created = await hostA.Client.PostAsJsonAsync("/api/schedules",
            new JsonObject { ["definitionId"] = "quick-flow", ["cron"] = "0/2 * * * * ?" }, timeout.Token);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(timeout.Token));
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!["id"]!.GetValue<string>();
        var began = DateTimeOffset.UtcNow;
        // B registers the stored schedule at its start, so both hosts' Quartz fire every fire time from here on.
        await using var hostB = await RunningServer.StartAsync(Store.Setting, hostA.Token, cancellationToken: timeout.Token);

        await Task.Delay(Duration, timeout.Token);

        var runs = await hostB.Services.GetRequiredService<ScheduleStore>().ListRunsAsync(id, timeout.Token);
        var perFireTime = runs.GroupBy(r => r.ScheduledFor).ToList();
        output.WriteLine($"{Store.Engine}: {runs.Count} runs, {perFireTime.Count} fire times, outcomes {string.Join(", ", runs.Select(r => r.Outcome).Distinct())}");
        Assert.All(perFireTime, g => Assert.True(g.Count() == 1, $"fire time {g.Key:O} has {g.Count()} runs: {string.Join(", ", g.Select(r => r.Outcome))}"));
        Assert.True(perFireTime.Count(g => g.Key > began.AddSeconds(3)) >= (int)(Duration.TotalSeconds / 2) - 3,
            $"only {perFireTime.Count} fire times in {Duration.TotalSeconds} s (every 2 s)");
        Assert.All(runs, r => Assert.Equal(ScheduleRunOutcomes.Started, r.Outcome));
    }
}

public sealed class SqliteClusteredScheduleTests(ITestOutputHelper output) : ClusteredScheduleTests(null, DatabaseEngine.Sqlite, output);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlClusteredScheduleTests(PostgreSqlServer server, ITestOutputHelper output) : ClusteredScheduleTests(server, DatabaseEngine.PostgreSql, output);
