using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Activities.Migration;

/// <summary>Registers what the VmMigration activities need (the host and tests call it once).</summary>
public static class MigrationServices
{
    /// <summary>Adds the process-wide QMP session pool, the freeze watchdog and the inventory-backed site.</summary>
    public static IServiceCollection AddVmMigration(this IServiceCollection services)
    {
        services.AddSingleton<QmpSessionPool>();
        services.AddSingleton<FreezeWatchdog>();
        services.AddSingleton<IMigrationSite, InventoryMigrationSite>();
        return services;
    }
}
