namespace Elsa.Migration.Host.Studio;

/// <summary>Elsa Studio: its assets, our host pages and the facade under <c>/elsa/api</c> (README.md in this folder).</summary>
public static class StudioFacadeRegistration
{
    public static IServiceCollection AddStudioFacade(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StudioOptions>(configuration.GetSection(StudioOptions.Section));
        services.AddSingleton<StudioAssets>();
        return services;
    }

    public static WebApplication MapStudioFacade(this WebApplication app)
    {
        app.MapGroup("/elsa/api").ExcludeFromDescription()
            .MapFacadeDescriptors()
            .MapFacadeDefinitions()
            .MapFacadeRun()
            .MapFacadeInstances();
        return app;
    }
}
