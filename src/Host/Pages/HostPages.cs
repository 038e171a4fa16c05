using Elsa.Migration.Host.Studio;
using Microsoft.Extensions.FileProviders;

namespace Elsa.Migration.Host.Pages;

/// <summary>
/// Our own pages (<c>wwwroot</c>), their libraries and their addresses. Pages hold no data (the API needs the token), so
/// they are public. Addresses a person bookmarks or reloads map to the page that shows them:
/// <c>/migrations/{id}</c> (one migration) and <c>/workflows/instances/{id}/view</c> (where Studio's Run navigates
/// with <c>history.pushState</c>: without this, reloading it hit the API's 401).
/// </summary>
public static class HostPages
{
    /// <summary>The npm install of our pages' libraries (scripts/setup.d/11-page-assets.sh).</summary>
    internal const string LibraryFolder = "src/Host/PageAssets/node_modules";

    /// <summary>uPlot's version, pinned in src/Host/PageAssets/package.json; part of its address so it can be cached for good.</summary>
    public const string UPlotVersion = "1.6.32";

    public static WebApplication UseHostPages(this WebApplication app)
    {
        var pages = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(pages))
            return app;
        var provider = new PhysicalFileProvider(pages);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = provider });
        // Small files we change with the product: always revalidated (ETag, 304).
        app.UseStaticFiles(new StaticFileOptions { FileProvider = provider, OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache" });
        var libraries = StudioAssets.FindInRepository(LibraryFolder, folder => File.Exists(Path.Combine(folder, "uplot", "dist", "uPlot.iife.min.js")));
        if (libraries is not null)
            app.UseStaticFiles(new StaticFileOptions
            {
                RequestPath = $"/lib/uplot-{UPlotVersion}",
                FileProvider = new PhysicalFileProvider(Path.Combine(libraries, "uplot", "dist")),
                // The version is in the address: a new version is a new address.
                OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=31536000, immutable",
            });
        else
            app.Logger.LogWarning("The page libraries are not installed ({Folder} not found): the migration page draws no chart. Run ./scripts/setup.sh",
                LibraryFolder);
        Page(app, "/migrations/{id}", Path.Combine(pages, "migration.html"));
        Page(app, "/workflows/instances/{id}/view", Path.Combine(pages, "instances.html"));
        return app;
    }

    private static void Page(WebApplication app, string pattern, string file) =>
        app.MapGet(pattern, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            return Results.File(file, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
}
