using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Lab;
using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Replication;

/// <summary>
/// The shipped <c>workflows/replicate.json</c> in the host: importable, schedulable with a cron like any procedure, and
/// held by the same VM lock as migrations, so a VM is never replicated while it migrates (nor migrated while it replicates).
/// </summary>
public sealed class ReplicationAdmissionTests() : ServerTest(TimeSpan.FromSeconds(120))
{
    [Fact]
    public async Task Replicate_ShouldBeSchedulableWithCron_AndRefusedWhileTheVmMigrates()
    {
        var replicate = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/replicate.json"), Timeout.Token);
        await ImportAsync(replicate);
        await ImportAsync(TestWorkflows.Delaying("held-flow", "00:10:00"));
        await TestSites.RegisterAsync(Server.Client, "site", Timeout.Token);
        var inputs = new JsonObject { ["VmId"] = "vm-r", ["SourceNode"] = "node-b", ["Site"] = "site" };

        var schedule = await Server.Client.PostAsJsonAsync("/api/schedules",
            new JsonObject { ["definitionId"] = "replicate", ["cron"] = "0 0/15 * ? * *", ["inputs"] = inputs.DeepClone() }, Timeout.Token);
        Assert.True(schedule.StatusCode == HttpStatusCode.Created, await schedule.Content.ReadAsStringAsync(Timeout.Token));

        var migration = await Server.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("held-flow", "vm-r"), Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, migration.StatusCode);
        var refused = await Server.Client.PostAsJsonAsync("/api/migrations",
            new JsonObject { ["definitionId"] = "replicate", ["inputs"] = inputs.DeepClone() }, Timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("VM vm-r is being migrated", await refused.Content.ReadAsStringAsync(Timeout.Token));
    }

    private async Task ImportAsync(string json)
    {
        var response = await Server.Client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
    }
}
