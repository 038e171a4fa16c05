using Microsoft.AspNetCore.Authentication;

namespace Elsa.Migration.Host.Auth;

/// <summary>Registers token authentication (ApiKey/Bearer), the fallback policy that requires it everywhere, and the
/// first-start token.</summary>
public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddApiTokenAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<NetworkOptions>(configuration.GetSection(NetworkOptions.Section));
        services.AddSingleton<ApiTokenStore>();
        services.AddSingleton<ITokenAnnouncer, ConsoleTokenAnnouncer>();
        services.AddHostedService<InitialTokenBootstrapper>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // Every endpoint requires a token unless it opts out explicitly (static pages and Studio's assets do).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().Build());
        return services;
    }
}
