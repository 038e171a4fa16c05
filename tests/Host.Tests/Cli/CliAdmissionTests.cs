using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary>
/// "Never two migrations of the same VM at once, whatever started them": the CLI's <c>run</c> (a real process) and the
/// server (a real Kestrel) on the same SQLite file share one VM lock.
/// </summary>
public sealed class CliAdmissionTests() : ServerTest(TimeSpan.FromSeconds(150))
{
    [Fact]
    public async Task Run_WhenAnotherInstanceMigratesTheVm_ShouldRefuseWithoutCreatingAnInstance_AndStartOnceTheLockIsReleased()
    {
        var response = await Server.Client.PostAsync("/api/definitions",
            new StringContent(TestWorkflows.Delaying("held-flow", "00:10:00"), Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
        var start = await Server.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("held-flow", "vm-x"), Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var holder = (await start.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["instanceId"]!.GetValue<string>();
        var quick = WriteFile("quick.json", TestWorkflows.Build("quick-flow",
            [TestWorkflows.Activity("start1", "Elsa.Start", 0), TestWorkflows.Activity("hello1", "Elsa.WriteLine", 200, ("text", "String", "migrated")),
             TestWorkflows.Activity("finish1", "Elsa.Finish", 400)], ["start1", "hello1", "finish1"]));

        var (refusedExit, refusedOutput, refusedError) = await CliProcess.RunAsync(Db.Path, "--db", Db.Path, "run", quick, "--input", "VmId=vm-x");

        Assert.True(refusedExit == 3, $"exit {refusedExit}\n{refusedOutput}\n{refusedError}");
        Assert.Contains($"Not started (vm-busy): VM vm-x is being migrated by instance {holder} (started by api)", refusedError);
        Assert.DoesNotContain("migrated", refusedOutput);
        var instances = Server.Services.GetRequiredService<IWorkflowInstanceStore>();
        Assert.Equal([holder], await AllInstancesAsync(instances));

        // The holder ends: the server releases its lock, and the CLI is admitted (and releases its own at its end).
        var cancel = await Server.Client.PostAsync($"/api/migrations/{holder}/cancel", null, Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var locks = Server.Services.GetRequiredService<VmLockStore>();
        while ((await locks.ListAsync(Timeout.Token)).Count > 0)
            await Task.Delay(50, Timeout.Token);
        var (exit, output, error) = await CliProcess.RunAsync(Db.Path, "--db", Db.Path, "run", quick, "--input", "VmId=vm-x");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("migrated", output);
        Assert.Equal(2, (await AllInstancesAsync(instances)).Count);
        Assert.Empty(await locks.ListAsync(Timeout.Token));
    }

    [Fact]
    public async Task Run_WhileItMigratesTheVm_ShouldMakeTheApiRefuseTheVm_UntilItEnds()
    {
        await Server.Client.PostAsync("/api/definitions",
            new StringContent(TestWorkflows.Delaying("api-flow", "00:10:00"), Encoding.UTF8, "application/json"), Timeout.Token);
        var file = WriteFile("long.json", TestWorkflows.Delaying("cli-flow", "00:10:00"));
        using var cli = CliProcess.Start(Db.Path, "--db", Db.Path, "run", file, "--input", "VmId=vm-y");
        await cli.WaitForOutputAsync("ActivitySuspended delay1", TimeSpan.FromSeconds(60));

        var refused = await Server.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("api-flow", "vm-y"), Timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("started by cli", await refused.Content.ReadAsStringAsync(Timeout.Token));
        await cli.InterruptAsync();
        Assert.Equal(2, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Empty(await Server.Services.GetRequiredService<VmLockStore>().ListAsync(Timeout.Token));
        var admitted = await Server.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("api-flow", "vm-y"), Timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, admitted.StatusCode);
    }

    private async Task<List<string>> AllInstancesAsync(IWorkflowInstanceStore instances)
    {
        var all = new List<string>();
        foreach (var status in Enum.GetValues<WorkflowStatus>())
            all.AddRange(await instances.ListIdsAsync(status, Timeout.Token));
        return all;
    }

    private string WriteFile(string name, string json)
    {
        var path = Path.Combine(Db.Folder, name);
        File.WriteAllText(path, json);
        return path;
    }
}
