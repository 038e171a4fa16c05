using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Recovery;
using Elsa.Migration.Lab;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Console;

/// <summary>
/// The operator console in Debian's headless Chromium against the real server and the real lab (QEMU under TCG,
/// zfs-fuse): a live migration started from the "New migration" form and watched on its page, live over SSE, to
/// Migrated; and one made to fail (a convergence timeout of 2 s) watched to RolledBack with its reason. The first also
/// leaves the page's screenshots at three moments (copying, switchover, done) in the temp folder (docs/ holds copies).
/// </summary>
[Collection("zfs")]
public sealed partial class MigrationConsoleBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string VmId = "console1";
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(8));
    private MigrationLab _lab = null!;
    private RunningServer _server = null!;

    public static string ScreenshotFolder => Path.Combine(Path.GetTempPath(), "elsa-console-screens");

    public async Task InitializeAsync()
    {
        _lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 2L << 20, _timeout.Token);
        _server = await RunningServer.StartAsync(_db.Path, cancellationToken: _timeout.Token);
        var site = await _server.Client.PostAsJsonAsync("/api/sites", new JsonObject
        {
            ["name"] = MigrationLab.SiteName,
            ["inventory"] = JsonNode.Parse(await File.ReadAllTextAsync(_lab.Lab.InventoryPath, _timeout.Token)),
        }, _timeout.Token);
        Assert.True(site.IsSuccessStatusCode, await site.Content.ReadAsStringAsync(_timeout.Token));
        // The shipped procedure with the RAM copy held to 256 KiB/s, so the RAM phase lasts long enough to be seen.
        await TestWorkflows.ImportAsync(_server.Client, Edited("live-migrate", ("liveMigrate", "maxBandwidthBytesPerSecond", "Int64", 256L << 10)), _timeout.Token);
        // A site's copy that gives the disk copies 2 s to converge: with the copy throttled it times out and rolls back.
        await TestWorkflows.ImportAsync(_server.Client, Edited("live-migrate-short", ("waitConvergence", "timeoutSeconds", "Int32", 2)), _timeout.Token);
    }

    [Fact(Timeout = 480_000)]
    public async Task A_live_migration_started_from_the_form_is_watched_live_to_Migrated_with_every_disk_at_100_percent_and_the_downtime_figures()
    {
        await using var browser = await ChromiumPage.OpenAsync();
        Directory.CreateDirectory(ScreenshotFolder);
        await browser.RunAsync("migrated", async page =>
        {
            await StartFromTheFormAsync(page, "live-migrate", diskBandwidth: 2L << 20, expectPlanSection: true);

            // Copying: the disk copies converge (WaitConvergence runs, the local disk's mirror held to 2 MiB/s), the
            // convergence chart is drawn, Cancel is offered (the migration can still act on it).
            await page.WaitForSelectorAsync(".row[data-step=waitConvergence] .seg.running");
            await page.WaitForSelectorAsync("#chart .uplot");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#disks .bar').length === 2");
            Assert.True(await page.Locator("#cancel").IsVisibleAsync(), "Cancel must be offered while the migration copies");
            // The mirror's first progress report (QEMU's offset and len of the job, sampled every second).
            await page.WaitForFunctionAsync("() => !document.querySelector('#disks tr[data-disk=vd1] .bar').textContent.includes('of 0 B')");
            output.WriteLine("while copying: " + await page.Locator("#disks").InnerTextAsync());
            await Shot(page, "migration-copying.png");

            // Switchover: the RAM migration runs (LiveMigrate, held to 256 KiB/s), then the pause.
            await page.WaitForSelectorAsync(".row[data-step=liveMigrate] .seg.running");
            await page.WaitForSelectorAsync("#ram .bar");
            output.WriteLine("during the RAM migration: " + await page.Locator("#ram").InnerTextAsync());
            await Shot(page, "migration-switchover.png");

            await page.WaitForFunctionAsync("() => document.getElementById('state')?.textContent === 'Migrated'", null, new() { Timeout = 240_000 });
            await page.WaitForSelectorAsync("[data-figure='QEMU downtime']");
            await Shot(page, "migration-done.png");
            await AssertMigratedPageAsync(page);

            // The address is the migration's: a reload rebuilds the same page from the journal.
            await page.ReloadAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('state')?.textContent === 'Migrated'");
            await AssertMigratedPageAsync(page);
        });
        browser.AssertNoErrors();
    }

    [Fact(Timeout = 480_000)]
    public async Task A_migration_that_cannot_converge_is_watched_live_to_RolledBack_with_its_reason()
    {
        await using var browser = await ChromiumPage.OpenAsync();
        await browser.RunAsync("rolledback", async page =>
        {
            await StartFromTheFormAsync(page, "live-migrate-short", diskBandwidth: 1L << 20, expectPlanSection: true);

            await page.WaitForFunctionAsync("() => document.getElementById('state')?.textContent === 'RolledBack'", null, new() { Timeout = 240_000 });
            var outcome = await page.Locator("#outcome").InnerTextAsync();
            Assert.Contains("RolledBack", outcome);
            Assert.Contains("'waitConvergence' (VmMigration.WaitConvergence) ended TimedOut", outcome); // the first failure
            Assert.Contains("Disk copies did not converge:", await page.Locator("#journal").InnerTextAsync()); // WaitConvergence's reason
            await page.WaitForSelectorAsync(".row[data-step=rollback]");
            Assert.Equal(0, await page.Locator("#cancel").CountAsync()); // nothing left to cancel
            Assert.Equal(0, await page.Locator("[data-figure='QEMU downtime']").CountAsync()); // no switchover happened
        });
        browser.AssertNoErrors();
    }

    /// <summary>The form on the migrations page: procedure, site, the VM as the nodes report it, target, a typed input; the
    /// plan step (or "plan not available"), then Start, which opens the migration's page.</summary>
    private async Task StartFromTheFormAsync(IPage page, string definitionId, long diskBandwidth, bool expectPlanSection)
    {
        await page.GotoAsync(new Uri(_server.BaseAddress, "/").ToString() + "#key=" + _server.Token);
        await page.ClickAsync("#new");
        await page.WaitForSelectorAsync($"select[name=procedure] option[value='{definitionId}']", new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("select[name=procedure]", definitionId);
        await page.SelectOptionAsync("select[name=site]", MigrationLab.SiteName);
        // Where the VM runs, as VmRunProbe found it on the nodes.
        await page.WaitForFunctionAsync($"() => [...document.querySelectorAll('select[name=vm] option')].some(o => o.textContent === '{VmId}: runs on {MigrationLab.Source}')");
        await page.SelectOptionAsync("select[name=vm]", VmId);
        Assert.Equal(MigrationLab.Target, await page.InputValueAsync("select[name=target]"));
        // The procedure's other inputs, with their declared types and defaults.
        Assert.Equal("0", await page.InputValueAsync("#in-DiskBandwidth"));
        Assert.Contains("DiskBandwidth: Int64, default 0", await page.Locator("form.start").InnerTextAsync());
        Assert.False(await page.IsCheckedAsync("#in-KeepSourceLocalDisks"));
        await page.FillAsync("#in-DiskBandwidth", diskBandwidth.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("#plan");
        await page.WaitForSelectorAsync("#confirm");
        var verdict = await page.Locator("#verdict").InnerTextAsync();
        if (expectPlanSection)
            Assert.True(verdict.Contains("plan not available", StringComparison.Ordinal) || verdict.Contains("Plan", StringComparison.Ordinal), verdict);
        await page.ClickAsync("#confirm");
        await page.WaitForURLAsync(MigrationAddress());
        output.WriteLine("migration page: " + page.Url);
    }

    private static async Task AssertMigratedPageAsync(IPage page)
    {
        var bars = await page.Locator("#disks .bar").EvaluateAllAsync<string[]>("bars => bars.map(b => b.dataset.pct)");
        Assert.Equal(["100", "100"], bars); // the replicated and the local disk, each copied completely
        foreach (var figure in new[] { "QEMU downtime", "guest pause", "total time" })
            Assert.Matches(@"^\d+(\.\d)? (ms|s)$", await page.Locator($"[data-figure='{figure}'] b").InnerTextAsync());
        Assert.Contains("Migrated", await page.Locator("#outcome").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#cancel").CountAsync());

        // The plan's estimate beside what happened: bytes per copied disk, the phases' times, how far off each was.
        await page.WaitForSelectorAsync("#estimate tr[data-row=total]");
        Assert.True(await page.Locator("#estimate tr[data-row^=disk-]").CountAsync() >= 1, await page.Locator("#estimate").InnerTextAsync());
        var total = await page.Locator("#estimate tr[data-row=total] td").AllInnerTextsAsync();
        Assert.Matches(@"^\d+(\.\d)? (ms|s)$", total[1]);
        Assert.Matches(@"^\d+(\.\d)? (ms|s)$", total[2]);
        Assert.Matches(@"^[+-]\d+\.\d %$", total[3]);
        // The form's disk bandwidth (2 MiB/s) reaches the plan: the estimated copy is the throttled mirror's time, not the link's.
        var copy = await page.Locator("#estimate tr[data-row=copy] td").AllInnerTextsAsync();
        var copyOff = double.Parse(copy[3].TrimEnd(' ', '%'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(copyOff) < 50, $"the disk copy's estimate is off by {copy[3]}: estimated {copy[1]}, took {copy[2]}");
        Assert.True(await page.Locator("#ledger tbody tr").CountAsync() > 3, "the ledger of what the migration created");
        Assert.True(await page.Locator(".row[data-step=resumeTarget]").CountAsync() == 1, "the phase timeline lists the steps");
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{3} ", await page.Locator("#journal div").First.InnerTextAsync()); // readable times
        Assert.Contains("RAM migrated in", await page.Locator("#ram").InnerTextAsync());
    }

    private static async Task Shot(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, name), FullPage = true });


    /// <summary>workflows/live-migrate.json as definition <paramref name="definitionId"/> with one literal input of one activity set.</summary>
    private static string Edited(string definitionId, (string Activity, string Input, string TypeName, long Value) edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(MigrationLab.FindRepositoryFile("workflows/live-migrate.json")))!.AsObject();
        json["definitionId"] = definitionId;
        json["id"] = definitionId + "-v1";
        json["name"] = definitionId;
        var activity = json["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == edit.Activity)!.AsObject();
        activity[edit.Input] = new JsonObject
        {
            ["typeName"] = edit.TypeName,
            ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = edit.Value },
        };
        return json.ToJsonString();
    }

    [GeneratedRegex(@"/migrations/[^/]+$")]
    private static partial Regex MigrationAddress();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _lab.DisposeAsync();
        _db.Dispose();
        _timeout.Dispose();
    }
}
