namespace Elsa.Migration.Host.Api;

/// <summary>The REST API under <c>/api</c>, described by OpenAPI at <c>/openapi/v1.json</c>.</summary>
public static class ApiRegistration
{
    public static IServiceCollection AddMigrationApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Elsa.Migration API";
            document.Info.Description = "Start, observe and cancel VM migrations; import definitions; schedule migrations. " +
                                        "Every call needs 'Authorization: ApiKey <token>' (or Bearer).";
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapMigrationApi(this WebApplication app)
    {
        // The description holds no data; clients fetch it before they have a token.
        app.MapOpenApi().AllowAnonymous();
        app.MapGroup("/api").MapMigrations().MapDefinitions().MapSchedules();
        return app;
    }
}
