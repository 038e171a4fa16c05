using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Lab;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Elsa.Migration.Host.Tests.Console;

/// <summary>
/// The designer fixes in Debian's headless Chromium with the real Elsa Studio 3.8.2: the shipped sample whose Fork
/// branches are comma text draws every node; the editor and the instance viewer addresses survive a reload; a draft
/// with a dangling connection is repaired and published; Run on a procedure with required inputs shows the missing
/// inputs and leads to the start form; the create dialog offers only the roots the runtime runs. And the migrations list
/// (the console's start page) names the host that runs each migration.
/// </summary>
public sealed class DesignerConsoleBrowserTests() : ServerTest(TimeSpan.FromMinutes(6))
{
    private const string NodeCount = "() => document.querySelectorAll('.react-flow__node, .x6-node').length";

    [Fact]
    public async Task The_sample_draws_every_node_and_the_editor_and_instance_viewer_addresses_survive_a_reload()
    {
        await TestWorkflows.ImportAsync(Server.Client, await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/sample-hello.json"), Timeout.Token), Timeout.Token);
        await using var browser = await ChromiumPage.OpenAsync();
        await browser.RunAsync("sample", async page =>
        {
            await page.GotoAsync(Url("/designer.html") + "#key=" + Server.Token);
            await page.GetByText("sample-hello", new() { Exact = true }).ClickAsync();
            await page.GetByText("Answer is 42?", new() { Exact = true }).First.WaitForAsync();
            await page.WaitForFunctionAsync(NodeCount + " === 12"); // all twelve activities, the Fork's ports among them
            await page.GetByText("Decide", new() { Exact = true }).First.WaitForAsync();
            Assert.EndsWith("/designer.html?id=sample-hello", page.Url);

            await page.ReloadAsync();
            await page.WaitForFunctionAsync(NodeCount + " === 12");

            // Run (no required input): Studio navigates to workflows/instances/{id}/view; that address reloads to the viewer.
            await page.Locator("button.mud-success-text").First.ClickAsync();
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/workflows/instances/[^/]+/view$"));
            var viewed = page.Url;
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("elsa-workflow-instance-viewer");
            await page.GetByText("Answer is 42?", new() { Exact = true }).First.WaitForAsync();
            await page.WaitForFunctionAsync(NodeCount + " === 12");
            Assert.Equal(viewed, page.Url);
            Assert.Equal(viewed.Split('/')[^2], await page.GetAttributeAsync("elsa-workflow-instance-viewer", "instance-id"));
        });
        Assert.DoesNotContain(browser.Errors, e => e.Contains("JsonException", StringComparison.Ordinal));
        browser.AssertNoErrors("Could not find wrapper element"); // Studio's own benign warning while an instance runs
    }

    [Fact]
    public async Task A_draft_with_a_dangling_connection_is_repaired_and_published_and_the_create_dialog_offers_only_runnable_roots()
    {
        var model = JsonNode.Parse(TestWorkflows.Build("dangling", [
            TestWorkflows.Activity("start1", "Elsa.Start", 0),
            TestWorkflows.Activity("hello1", "Elsa.WriteLine", 200, ("text", "String", "hello")),
        ], ["start1", "hello1", "ghost1"]))!.AsObject();
        var saved = await Server.Client.PostAsJsonAsync("/elsa/api/workflow-definitions", new JsonObject { ["model"] = model, ["publish"] = false }, Timeout.Token);
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync(Timeout.Token));
        var store = Server.Services.GetRequiredService<IWorkflowDefinitionStore>();
        await using var browser = await ChromiumPage.OpenAsync();
        await browser.RunAsync("dangling", async page =>
        {
            await page.GotoAsync(Url("/designer.html?id=dangling") + "#key=" + Server.Token);
            await page.WaitForFunctionAsync(NodeCount + " === 2");
            // Publish (the cloud-upload button) sends the model Studio was served: without the dangling edge.
            var publish = page.Locator("button.mud-icon-button:has(path[d*='19.35 10.04'])").First;
            var published = await page.RunAndWaitForResponseAsync(() => publish.ClickAsync(),
                r => r.Request.Method == "POST" && r.Url.EndsWith("/elsa/api/workflow-definitions", StringComparison.Ordinal)
                     && (r.Request.PostData ?? "").Contains("\"publish\":true", StringComparison.Ordinal), new() { Timeout = 20_000 });
            Assert.Equal(200, published.Status);

            await page.GotoAsync(Url("/designer.html"));
            await page.GetByText("Create workflow").First.ClickAsync();
            await page.GetByText("Flowchart", new() { Exact = true }).WaitForAsync();
            Assert.True(await page.GetByText("Sequence", new() { Exact = true }).IsVisibleAsync());
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('.workflow-root-template-option')].filter(o => o.textContent.includes('State machine')).every(o => o.style.display === 'none')");
        });
        var stored = await store.GetPublishedAsync("dangling", Timeout.Token);
        Assert.NotNull(stored);
        var connections = JsonNode.Parse(stored.Json)!["root"]!["connections"]!.AsArray();
        Assert.Single(connections);
        Assert.DoesNotContain("ghost1", stored.Json);
        browser.AssertNoErrors();
    }

    [Fact]
    public async Task Run_on_a_procedure_with_required_inputs_shows_the_missing_inputs_and_leads_to_the_start_form()
    {
        await TestWorkflows.ImportAsync(Server.Client, await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token), Timeout.Token);
        await using var browser = await ChromiumPage.OpenAsync();
        await browser.RunAsync("run-refused", async page =>
        {
            await page.GotoAsync(Url("/designer.html?id=live-migrate") + "#key=" + Server.Token);
            await page.GetByText("WaitConvergence", new() { Exact = true }).WaitForAsync();
            await page.Locator("button.mud-success-text").First.ClickAsync();
            var reason = await page.Locator("#hostrefusal .reason").InnerTextAsync();
            Assert.Contains("VmId", reason);
            Assert.Contains("TargetNode", reason);
            await page.GetByText("Start it with its inputs").ClickAsync();
            await page.WaitForURLAsync(Url("/?start=live-migrate"));
            await page.WaitForSelectorAsync("select[name=procedure] option[value='live-migrate']", new() { State = WaitForSelectorState.Attached });
            Assert.Equal("live-migrate", await page.InputValueAsync("select[name=procedure]"));
            await page.WaitForSelectorAsync("#in-DiskBandwidth");
        });
        browser.AssertNoErrors("The workflow cannot be started");
    }

    [Fact]
    public async Task The_migrations_list_names_the_host_running_each_migration_and_a_dash_for_an_ended_one()
    {
        await TestWorkflows.ImportAsync(Server.Client, TestWorkflows.Holding, Timeout.Token);
        await TestWorkflows.ImportAsync(Server.Client, TestWorkflows.Quick(), Timeout.Token);
        var running = await StartAsync("hold");
        var ended = await StartAsync("quick-flow");
        await Server.Services.GetRequiredService<Engine.Runtime.IWorkflowRuntime>().WaitForEndAsync(ended, Timeout.Token);
        await using var browser = await ChromiumPage.OpenAsync();
        await browser.RunAsync("hosts", async page =>
        {
            await page.GotoAsync(Url("/") + "#key=" + Server.Token);
            await page.WaitForSelectorAsync($"#rows tr[data-id='{running}'] td.host");
            // This test process is the server: its lease holder is this machine and pid.
            Assert.Equal($"{Environment.MachineName} pid {Environment.ProcessId}", await page.Locator($"#rows tr[data-id='{running}'] td.host").InnerTextAsync());
            Assert.Equal("—", await page.Locator($"#rows tr[data-id='{ended}'] td.host").InnerTextAsync());
            Assert.Equal("Host", await page.Locator("thead th").Nth(4).InnerTextAsync());
        });
        browser.AssertNoErrors();
    }

    private async Task<string> StartAsync(string definitionId)
    {
        var answer = await Server.Client.PostAsJsonAsync("/api/migrations", new JsonObject { ["definitionId"] = definitionId }, Timeout.Token);
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync(Timeout.Token));
        return (await answer.Content.ReadFromJsonAsync<JsonObject>(Timeout.Token))!["instanceId"]!.GetValue<string>();
    }

    private string Url(string path) => new Uri(Server.BaseAddress, path).ToString();

}
