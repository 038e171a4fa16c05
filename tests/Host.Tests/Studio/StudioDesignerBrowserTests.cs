using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Cli;
using Elsa.Migration.Lab;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>
/// The real Elsa Studio 3.8.2 designer in Debian's headless Chromium (driven by Microsoft.Playwright with
/// ExecutablePath, so no browser is downloaded) against the real server, on the shipped procedure
/// <c>workflows/live-migrate.json</c>: the VmMigration palette, an input edit, auto-save, export.
/// </summary>
public sealed class StudioDesignerBrowserTests() : ServerTest(TimeSpan.FromMinutes(6))
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DefinitionId = "live-migrate";
    private const string EditedActivity = "waitConvergence";
    private const string EditedInput = "timeoutSeconds";

    [Fact]
    public async Task The_designer_opens_the_shipped_live_migration_shows_the_VmMigration_palette_and_saves_an_edited_timeout_to_the_database_and_the_export()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run ./scripts/setup.sh (installs Debian's chromium package).");
        var studio = await Server.Client.GetFromJsonAsync<JsonObject>("/studio/status", Timeout.Token);
        Assert.True(studio!["installed"]!.GetValue<bool>(), "Elsa Studio is not installed: run ./scripts/setup.sh (scripts/setup.d/10-studio-assets.sh).");
        var shipped = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token);
        var shippedTimeout = LiteralOf(shipped, EditedActivity, EditedInput);
        Assert.Equal("600", shippedTimeout);
        var imported = await Server.Client.PostAsync("/api/definitions", new StringContent(shipped, Encoding.UTF8, "application/json"), Timeout.Token);
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
            page.SetDefaultTimeout(180_000);
            var errors = new List<string>();
            page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };

            // The token travels in the fragment: never sent to the server, so never in a log.
            var designer = await page.GotoAsync(new Uri(Server.BaseAddress, $"/designer.html?id={DefinitionId}").ToString() + "#key=" + Server.Token);

            // The palette lists the registry's categories; the real activities sit under "VM Migration"
            // (the category of their [Activity] attribute), with the display names the registry derives.
            var category = page.GetByText("VM Migration", new() { Exact = true });
            await category.WaitForAsync();
            await category.ClickAsync();
            var palette = page.Locator(".mud-expand-panel").Filter(new() { Has = category });
            foreach (var activity in new[] { "Bitmap Mirror", "Wait Convergence", "Complete Mirror" })
                await palette.GetByText(activity, new() { Exact = true }).WaitForAsync();

            // Select the shipped WaitConvergence on the canvas (it shows the activity's name) and change its timeout;
            // auto-save posts the definition.
            await page.GetByText("WaitConvergence", new() { Exact = true }).ClickAsync();
            var timeout = page.Locator(".mud-input-control").Filter(new() { HasText = "Timeout Seconds" }).Locator("input").First;
            await timeout.WaitForAsync();
            Assert.Equal("600", await timeout.InputValueAsync());
            var saved = await page.RunAndWaitForResponseAsync(async () =>
            {
                await timeout.FillAsync("900");
                await timeout.PressAsync("Tab");
            }, r => r.Request.Method == "POST" && r.Url.EndsWith("/elsa/api/workflow-definitions", StringComparison.Ordinal));
            Assert.Equal(200, saved.Status);

            // In the database: a new draft (v1 was published on import) carries the edit; the published v1 does not.
            var store = Server.Services.GetRequiredService<IWorkflowDefinitionStore>();
            var latest = await store.GetLatestAsync(DefinitionId, Timeout.Token);
            Assert.NotNull(latest);
            Assert.Equal(2, latest.Version);
            Assert.False(latest.IsPublished);
            Assert.Equal("900", LiteralOf(latest.Json, EditedActivity, EditedInput));
            var published = await store.GetPublishedAsync(DefinitionId, Timeout.Token);
            Assert.Equal(1, published!.Version);
            Assert.Equal(shippedTimeout, LiteralOf(published.Json, EditedActivity, EditedInput));

            // In an export, through the real CLI command on the same SQLite file: the edit, and the rest as shipped.
            var exportFile = Path.Combine(Db.Folder, "live-migrate.json");
            var database = CliServices.CreateDatabaseOption();
            var exitCode = await new RootCommand { database, ExportCommand.Create(database) }
                .Parse(["export", DefinitionId, exportFile, "--db", Db.Path]).InvokeAsync(cancellationToken: Timeout.Token);
            Assert.Equal(0, exitCode);
            var exported = await File.ReadAllTextAsync(exportFile, Timeout.Token);
            Assert.Equal("900", LiteralOf(exported, EditedActivity, EditedInput));
            Assert.Equal("https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json", JsonNode.Parse(exported)!["$schema"]!.GetValue<string>());
            ShippedFlowchartAssert.SameExceptTheEdit(shipped, exported, EditedActivity, EditedInput);
            // Still a valid procedure for the runtime (the edited literal is an Int32 as a string).
            Assert.Empty(Server.Services.GetRequiredService<IWorkflowDefinitionLoader>().Validate(exported));
            Assert.True(!errors.Any(e => e.Contains("Exception", StringComparison.Ordinal)), "console errors:\n" + string.Join("\n", errors));
            // Studio ran under the server's Content-Security-Policy without one violation (Chromium reports them as console errors).
            Assert.True(designer!.Headers.ContainsKey("content-security-policy"), "the designer page was served without a Content-Security-Policy");
            var violations = errors.Where(e => e.Contains("Content Security Policy", StringComparison.Ordinal)).ToList();
            Assert.True(violations.Count == 0, "CSP violations:\n" + string.Join("\n", violations));
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

    /// <summary>A literal's text: the shipped file holds numbers, Studio saves every literal as a string (as Elsa's does).</summary>
    private static string LiteralOf(string json, string activityId, string input)
    {
        var value = ShippedFlowchartAssert.ActivityOf(JsonNode.Parse(json)!, activityId)[input]!["expression"]!["value"]!.AsValue();
        return value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
    }
}
