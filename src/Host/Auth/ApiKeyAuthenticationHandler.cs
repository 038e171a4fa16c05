using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Auth;

/// <summary>
/// Accepts <c>Authorization: ApiKey &lt;token&gt;</c> (what Elsa Studio sends when its element has <c>api-key</c>) and
/// <c>Authorization: Bearer &lt;token&gt;</c>. The token is never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenStore tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
            return AuthenticateResult.NoResult();
        var space = header.IndexOf(' ');
        if (space <= 0)
            return AuthenticateResult.Fail("The Authorization header must be 'ApiKey <token>' or 'Bearer <token>'.");
        var scheme = header[..space];
        if (!scheme.Equals("ApiKey", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must be 'ApiKey <token>' or 'Bearer <token>'.");
        var name = await tokens.FindAsync(header[(space + 1)..].Trim(), Context.RequestAborted);
        if (name is null)
            return AuthenticateResult.Fail("Unknown API token.");
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
        return Response.WriteAsJsonAsync(new
        {
            title = "Unauthorized",
            detail = "Send a valid API token as 'Authorization: ApiKey <token>' (or Bearer). The first one was written to the file " +
                     "'serve' named at its first start; create another with './elsa-migrate token add NAME'. Expired and revoked tokens are refused.",
        });
    }
}
