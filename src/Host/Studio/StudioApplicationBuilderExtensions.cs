using Elsa.Migration.Host.Pages;

namespace Elsa.Migration.Host.Studio;

/// <summary>Serves our host pages (wwwroot) and the Studio package, both without a token: they hold no data. The
/// pages take the token from the operator and hand it to Studio's <c>api-key</c> attribute; every API call needs it.</summary>
public static class StudioApplicationBuilderExtensions
{
    public static IApplicationBuilder UseHostPagesAndStudioAssets(this WebApplication app)
    {
        app.UseHostPages();
        var studio = app.Services.GetRequiredService<StudioAssets>();
        if (studio.Folder is not null)
        {
            app.Use((context, next) => studio.UsePrecompressed(context, next));
            app.UseStaticFiles(studio.FileOptions());
        }
        else
            app.Logger.LogWarning("Elsa Studio {Version} is not installed ({Folder} not found): the designer pages will not load. Run ./scripts/setup.sh",
                StudioOptions.PackageVersion, StudioOptions.PackageFolder);
        // Studio reads appsettings.json at start; ours points its backend at this server (the package's points elsewhere).
        app.MapGet("/appsettings.json", (HttpContext http) => Results.Json(new
        {
            Backend = new { Url = $"{http.Request.Scheme}://{http.Request.Host}/elsa/api" },
        })).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/studio/status", (StudioAssets assets) => Results.Json(new { installed = assets.Folder is not null, version = StudioOptions.PackageVersion }))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
