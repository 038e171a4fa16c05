namespace Elsa.Migration.Host.Api;

/// <summary>The REST API under <c>/api</c>, described by OpenAPI at <c>/openapi/v1.json</c>.</summary>
public static class ApiRegistration
{
    public static IServiceCollection AddMigrationApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        // A bad request is the caller's mistake, answered 400 with the reason: not an "unhandled exception" error in the log.
        services.Configure<ExceptionHandlerOptions>(o => o.SuppressDiagnosticsCallback = c => ApiExceptionHandler.IsBadRequest(c.Exception));
        // A body that does not bind throws BadHttpRequestException (to ApiExceptionHandler: 400 with the reason) instead
        // of an empty 400.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Elsa.Migration API";
            document.Info.Description = "Start, observe and cancel VM migrations; import definitions; schedule migrations. " +
                                        "Every call needs 'Authorization: ApiKey <token>' (or Bearer).";
            return Task.CompletedTask;
        }));
        return services;
    }

    /// <summary>Every error response is <c>application/problem+json</c>: exceptions through <see cref="ApiExceptionHandler"/>,
    /// and 4xx/5xx answers without a body (a bare 404, 405) get a problem body from the status-code pages.</summary>
    public static WebApplication UseApiProblems(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    public static WebApplication MapMigrationApi(this WebApplication app)
    {
        // The description holds no data; clients fetch it before they have a token.
        app.MapOpenApi().AllowAnonymous();
        app.MapGroup("/api").MapMigrationPlan().MapMigrations().MapDefinitions().MapSchedules().MapSites();
        return app;
    }
}
