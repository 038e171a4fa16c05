using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Host.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Elsa.Migration.Host.Sites;

/// <summary>Registers the site store, registration and the database-backed <see cref="ISiteCatalog"/> the procedures read.</summary>
public static class SitesServiceCollectionExtensions
{
    public static IServiceCollection AddSites(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HostDatabase>();
        services.TryAddSingleton<HostSchema>();
        services.AddOptions<SitesOptions>().Bind(configuration.GetSection(SitesOptions.Section))
            .Validate(o => string.IsNullOrWhiteSpace(o.Default) || NameRules.IsSiteName(o.Default),
                "Sites:Default must be a site name (lowercase letters, digits, '-'), not a path.")
            .ValidateOnStart();
        services.AddSingleton<SiteStore>();
        services.AddSingleton<SiteRegistration>();
        services.AddSingleton<ISiteCatalog, DatabaseSiteCatalog>();
        services.AddSingleton<SiteVmLocator>();
        return services;
    }
}
