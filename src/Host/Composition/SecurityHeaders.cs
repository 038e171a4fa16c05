namespace Elsa.Migration.Host.Composition;

/// <summary>
/// Headers on every response that keep the pages from being framed (clickjacking of the designer's Run and Publish),
/// content from being sniffed into another type, and scripts from anywhere but this server.
/// </summary>
/// <remarks>
/// The policy is what Elsa Studio 3.8 (Blazor WebAssembly) needs, checked in headless Chromium by the designer test
/// (no CSP violation in its console): <c>'wasm-unsafe-eval'</c> to compile the .NET runtime, inline styles (MudBlazor
/// and Radzen set <c>style</c> attributes, Monaco injects style elements), <c>data:</c>/<c>blob:</c> for icons, fonts
/// and Monaco's workers. Our pages have no inline scripts (each loads its <c>*-page.js</c>); the one Studio inserts is
/// allowed by its hash, so no <c>'unsafe-inline'</c> for scripts.
/// </remarks>
public sealed class SecurityHeaders(RequestDelegate next)
{
    /// <summary>The one inline script Elsa Studio 3.8.2 inserts (the workflow editor's <c>editorHotkeys</c>), allowed by
    /// its hash rather than by <c>'unsafe-inline'</c>. The Studio version is pinned (package-lock.json); a new version
    /// with another script shows up as a CSP violation in the designer browser test.</summary>
    public const string StudioEditorHotkeysScript = "'sha256-snlP1jz0gjwc5cTz9ErZcliXuCK63+Mmf68RRCeptgc='";

    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' " + StudioEditorHotkeysScript + "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; " +
        "frame-ancestors 'none'; form-action 'self'";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    }
}
