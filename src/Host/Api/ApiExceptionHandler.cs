using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Elsa.Migration.Host.Api;

/// <summary>
/// The one place an exception becomes a response, always <c>application/problem+json</c>: a bad request (a body that
/// does not parse or bind, <see cref="InvalidRequestException"/>) is 400 with the reason; anything else is a bug, 500 with
/// a problem body that names no internals (the exception goes to the log).
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = exception switch
        {
            InvalidRequestException e => (StatusCodes.Status400BadRequest, e.Message),
            // Minimal APIs throw this for a body or parameter that does not bind (RouteHandlerOptions.ThrowOnBadRequest).
            BadHttpRequestException e => (e.StatusCode, e.InnerException is JsonException json ? $"{e.Message} {json.Message}" : e.Message),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred; the server log has the details."),
        };
        if (status >= 500)
            logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Detail = detail },
        });
    }
}
