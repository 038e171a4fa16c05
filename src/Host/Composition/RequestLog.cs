using System.Diagnostics;

namespace Elsa.Migration.Host.Composition;

/// <summary>
/// One log line per request with the path only. ASP.NET Core's own request logs
/// (<c>Microsoft.AspNetCore.Hosting.Diagnostics</c>, Information) print the full URL with its query string, where a
/// client may have put a token; they are filtered to warnings and this line replaces them. Headers are never logged.
/// </summary>
public sealed class RequestLog(RequestDelegate next, ILogger<RequestLog> logger)
{
    /// <summary>The category whose request lines carry the query string.</summary>
    public const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // The escaped form: a %0A in the path stays %0A instead of starting a forged log line.
            logger.LogInformation("{Method} {Path} answered {StatusCode} in {ElapsedMs:0.0} ms",
                context.Request.Method, context.Request.Path.ToUriComponent(), context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}

/// <summary>Registration of <see cref="RequestLog"/> in place of the hosting request logs.</summary>
public static class RequestLogExtensions
{
    public static ILoggingBuilder AddPathOnlyRequestLog(this ILoggingBuilder logging) =>
        logging.AddFilter(RequestLog.HostingDiagnostics, LogLevel.Warning);

    public static WebApplication UseRequestLog(this WebApplication app)
    {
        app.UseMiddleware<RequestLog>();
        return app;
    }
}
