using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Elsa.Migration.Host.Api;

/// <summary>
/// The one place an exception becomes a response, always <c>application/problem+json</c>: a bad request (a body that
/// does not parse or bind, <see cref="InvalidRequestException"/>) is 400 with the reason; anything else is a bug, 500 with
/// a problem body that names no internals (the exception handler middleware logs it; bad requests it does not log).
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>True for the caller's mistakes (answered 400 and not logged as errors).</summary>
    public static bool IsBadRequest(Exception exception) => exception is InvalidRequestException or BadHttpRequestException;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = exception switch
        {
            InvalidRequestException e => (StatusCodes.Status400BadRequest, e.Message),
            // Minimal APIs throw this for a body or parameter that does not bind (RouteHandlerOptions.ThrowOnBadRequest).
            BadHttpRequestException e => (e.StatusCode, e.InnerException is JsonException json ? $"{e.Message} {json.Message}" : e.Message),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred; the server log has the details."),
        };
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Detail = detail },
        });
    }
}
