using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Cli;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>
/// The real Elsa Studio 3.8.2 designer in Debian's headless Chromium (driven by Microsoft.Playwright with
/// ExecutablePath, so no browser is downloaded) against the real server: the palette, an input edit, auto-save.
/// </summary>
public sealed class StudioDesignerBrowserTests() : ServerTest(TimeSpan.FromMinutes(4))
{
    private const string Chromium = "/usr/bin/chromium";
    [Fact]
    public async Task The_designer_shows_the_VmMigration_palette_and_saves_an_edited_input_to_the_database_and_the_export()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run ./scripts/setup.sh (installs Debian's chromium package).");
        var studio = await Server.Client.GetFromJsonAsync<JsonObject>("/studio/status", Timeout.Token);
        Assert.True(studio!["installed"]!.GetValue<bool>(), "Elsa Studio is not installed: run ./scripts/setup.sh (scripts/setup.d/10-studio-assets.sh).");
        var imported = await Server.Client.PostAsync("/api/definitions", new StringContent(ProbeFlow(), Encoding.UTF8, "application/json"), Timeout.Token);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(Timeout.Token));

        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("elsa-host-chromium-");
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1600, Height = 950 },
        });
        try
        {
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            page.SetDefaultTimeout(90_000);
            var errors = new List<string>();
            page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };

            // The token travels in the fragment: never sent to the server, so never in a log.
            await page.GotoAsync(new Uri(Server.BaseAddress, "/designer.html?id=probe-flow").ToString() + "#key=" + Server.Token);

            // The palette lists our categories, generated from the registry; VmMigration holds the test activity.
            var palette = page.GetByText("VmMigration", new() { Exact = true });
            await palette.WaitForAsync();
            await palette.ClickAsync();
            await page.GetByText("Test probe", new() { Exact = true }).First.WaitForAsync();

            // Select the activity on the canvas and change its "VM name" input; auto-save posts the definition.
            await page.GetByText("probe1", new() { Exact = true }).ClickAsync();
            var vmName = page.Locator(".mud-input-control").Filter(new() { HasText = "VM name" }).Locator("input").First;
            await vmName.WaitForAsync();
            Assert.Equal("web01", await vmName.InputValueAsync());
            var saved = await page.RunAndWaitForResponseAsync(async () =>
            {
                await vmName.FillAsync("db42");
                await vmName.PressAsync("Tab");
            }, r => r.Request.Method == "POST" && r.Url.EndsWith("/elsa/api/workflow-definitions", StringComparison.Ordinal));
            Assert.Equal(200, saved.Status);

            // In the database: the latest version (a new draft, since v1 was published) carries the edit.
            var store = Server.Services.GetRequiredService<IWorkflowDefinitionStore>();
            var latest = await store.GetLatestAsync("probe-flow", Timeout.Token);
            Assert.NotNull(latest);
            Assert.Equal(2, latest.Version);
            Assert.False(latest.IsPublished);
            Assert.Equal("db42", VmNameOf(latest.Json));
            Assert.Equal("web01", VmNameOf((await store.GetPublishedAsync("probe-flow", Timeout.Token))!.Json));

            // In an export, through the real CLI command on the same SQLite file.
            var exportFile = Path.Combine(Db.Folder, "probe-flow.json");
            var database = CliServices.CreateDatabaseOption();
            var exitCode = await new RootCommand { database, ExportCommand.Create(database) }
                .Parse(["export", "probe-flow", exportFile, "--db", Db.Path]).InvokeAsync(cancellationToken: Timeout.Token);
            Assert.Equal(0, exitCode);
            var exported = await File.ReadAllTextAsync(exportFile, Timeout.Token);
            Assert.Equal("db42", VmNameOf(exported));
            Assert.Equal("https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json", JsonNode.Parse(exported)!["$schema"]!.GetValue<string>());
            Assert.DoesNotContain(errors, e => e.Contains("Exception", StringComparison.Ordinal));
        }
        catch
        {
            var page = browser.Pages.FirstOrDefault();
            if (page is not null)
                await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "elsa-host-designer-failure.png") });
            throw;
        }
        finally
        {
            await browser.CloseAsync();
            profile.Delete(recursive: true);
        }
    }

    private static string? VmNameOf(string json) =>
        JsonNode.Parse(json)!["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "probe1")!["vmName"]!["expression"]!["value"]!.GetValue<string>();

    private static string ProbeFlow() => TestWorkflows.Build("probe-flow",
    [
        TestWorkflows.Activity("start1", "Elsa.Start", 0),
        TestWorkflows.Activity("probe1", "VmMigration.TestProbe", 300, ("vmName", "String", "web01")),
        TestWorkflows.Activity("finish1", "Elsa.Finish", 600),
    ], ["start1", "probe1", "finish1"]);
}
