using System.Diagnostics;
using System.Text;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Lab;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Console;

/// <summary>
/// Cold and warm load of the designer in Debian's headless Chromium on loopback: time until the definition list and the
/// editor are usable, requests, and bytes over the wire (Brotli). The figures are written to the test output (the
/// README quotes them); the bounds asserted are loose, to catch a regression to uncompressed assets or lost caching.
/// </summary>
public sealed class ColdLoadTests(ITestOutputHelper output) : ServerTest(TimeSpan.FromMinutes(5))
{
    [Fact]
    public async Task The_designer_loads_compressed_and_a_second_visit_takes_the_fingerprinted_assets_from_the_cache()
    {
        var live = await File.ReadAllTextAsync(MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), Timeout.Token);
        Assert.True((await Server.Client.PostAsync("/api/definitions", new StringContent(live, Encoding.UTF8, "application/json"), Timeout.Token)).IsSuccessStatusCode);
        await using var browser = await ChromiumPage.OpenAsync();
        var page = browser.Page;
        var list = await MeasureAsync(page, "/designer.html", () => page.GetByText("live-migrate", new() { Exact = true }).WaitForAsync());
        var editor = await MeasureAsync(page, "/designer.html?id=live-migrate", () => page.GetByText("WaitConvergence", new() { Exact = true }).WaitForAsync());
        await using var fresh = await ChromiumPage.OpenAsync();
        var coldEditor = await MeasureAsync(fresh.Page, "/designer.html?id=live-migrate", () => fresh.Page.GetByText("WaitConvergence", new() { Exact = true }).WaitForAsync());
        output.WriteLine($"list usable (cold): {list.Seconds:0.0} s, {list.Requests} requests, {list.Bytes / 1e6:0.0} MB over the wire");
        output.WriteLine($"editor usable (cold): {coldEditor.Seconds:0.0} s, {coldEditor.Requests} requests, {coldEditor.Bytes / 1e6:0.0} MB over the wire");
        output.WriteLine($"editor usable (after the list, cache warm): {editor.Seconds:0.0} s, {editor.Requests} requests, {editor.Bytes / 1e6:0.00} MB over the wire");

        Assert.True(list.Bytes < 15_000_000, $"the cold list load moved {list.Bytes} bytes: are the Brotli copies served?");
        Assert.True(editor.Bytes < list.Bytes / 3, $"the second load moved {editor.Bytes} bytes of {list.Bytes}: are the fingerprinted files cached?");
    }

    private async Task<(double Seconds, int Requests, long Bytes)> MeasureAsync(IPage page, string path, Func<Task> usable)
    {
        var requests = 0;
        long bytes = 0;
        var sizes = new List<Task>();
        void OnFinished(object? _, IRequest r)
        {
            requests++;
            sizes.Add(Task.Run(async () => { var s = await r.SizesAsync(); Interlocked.Add(ref bytes, s.ResponseBodySize + s.ResponseHeadersSize); }));
        }
        page.RequestFinished += OnFinished;
        var watch = Stopwatch.StartNew();
        await page.GotoAsync(new Uri(Server.BaseAddress, path) + "#key=" + Server.Token);
        await usable();
        watch.Stop();
        page.RequestFinished -= OnFinished;
        await Task.WhenAll(sizes);
        return (watch.Elapsed.TotalSeconds, requests, bytes);
    }
}
