using Elsa.Migration.Engine.Definitions;

namespace Elsa.Migration.Host.Studio;

/// <summary>Serves the Studio package without a token: it holds no data. Our pages (Pages/HostPages) take the token from
/// the operator and hand it to Studio's <c>api-key</c> attribute; every API call needs it.</summary>
public static class StudioApplicationBuilderExtensions
{
    /// <summary>The roots Studio 3.8.2's create dialog offers (its DefaultWorkflowRootActivityTemplateProvider).</summary>
    private static readonly string[] StudioRootTypes = [ActivityDescriptorMapper.FlowchartType, "Elsa.Sequence", "Elsa.StateMachine"];

    public static IApplicationBuilder UseStudioAssets(this WebApplication app)
    {
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
        // rootTypes: which of the roots Studio's create dialog offers this runtime can run (host.js hides the others).
        app.MapGet("/studio/status", (StudioAssets assets, IActivityRegistry registry) => Results.Json(new
            {
                installed = assets.Folder is not null,
                version = StudioOptions.PackageVersion,
                rootTypes = StudioRootTypes.Where(t => t == ActivityDescriptorMapper.FlowchartType || registry.Find(t) is not null).ToArray(),
            }))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
