using Microsoft.Playwright;

namespace Elsa.Migration.Host.Tests.Console;

/// <summary>Debian's headless Chromium driven by Microsoft.Playwright (ExecutablePath: no browser is downloaded), with a
/// fresh profile and the console errors collected; on failure a screenshot goes to the temp folder.</summary>
public sealed class ChromiumPage : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ChromiumPage(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, m) => { if (m.Type == "error") Errors.Add(m.Text); };
        page.PageError += (_, e) => Errors.Add(e);
    }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught page errors, in order.</summary>
    public List<string> Errors { get; } = [];

    public static async Task<ChromiumPage> OpenAsync()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run ./scripts/setup.sh (installs Debian's chromium package).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 } });
        page.SetDefaultTimeout(120_000);
        return new ChromiumPage(playwright, browser, page);
    }

    /// <summary>Runs <paramref name="steps"/>; a failure leaves a screenshot named after <paramref name="name"/> in the temp folder.</summary>
    public async Task RunAsync(string name, Func<IPage, Task> steps)
    {
        try
        {
            await steps(Page);
        }
        catch
        {
            await Page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), $"elsa-console-{name}-failure.png"), FullPage = true });
            throw;
        }
    }

    /// <summary>No CSP violation and no uncaught exception on any page this browser showed.</summary>
    public void AssertNoErrors(params string[] tolerated)
    {
        var real = Errors.Where(e => !tolerated.Any(t => e.Contains(t, StringComparison.Ordinal))).ToList();
        Assert.True(!real.Any(e => e.Contains("Content Security Policy", StringComparison.Ordinal) || e.Contains("Exception", StringComparison.Ordinal)
            || e.Contains("TypeError", StringComparison.Ordinal) || e.Contains("ReferenceError", StringComparison.Ordinal)),
            "browser errors:\n" + string.Join("\n", real));
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
