using System.Net;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Auth;

/// <summary>Network exposure. The server binds 127.0.0.1 by default; remote clients are refused unless allowed here.</summary>
public sealed class NetworkOptions
{
    public const string Section = "Server";

    /// <summary>Accept requests from non-loopback addresses (only behind TLS or a trusted network).</summary>
    public bool AllowRemote { get; set; }
}

/// <summary>Refuses (403) every request from a non-loopback address unless <see cref="NetworkOptions.AllowRemote"/>,
/// so binding 0.0.0.0 by mistake does not expose the API.</summary>
public sealed class LoopbackOnlyMiddleware(RequestDelegate next, IOptions<NetworkOptions> options, ILogger<LoopbackOnlyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (!options.Value.AllowRemote && remote is not null && !IPAddress.IsLoopback(remote))
        {
            logger.LogWarning("Refused a request from {Remote}: the server accepts loopback clients only (set Server:AllowRemote=true)", remote);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("This server accepts loopback clients only (set Server:AllowRemote=true).");
            return;
        }
        await next(context);
    }
}
