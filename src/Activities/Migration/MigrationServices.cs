using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Switchover;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Freeze;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration;

/// <summary>Registers what the VmMigration activities need (the host and tests call it once).</summary>
public static class MigrationServices
{
    /// <summary>Adds the process-wide QMP session pool, the freeze watchdog, the inventory-backed site and the preflight checks.</summary>
    public static IServiceCollection AddVmMigration(this IServiceCollection services)
    {
        services.AddSingleton<QmpSessionPool>();
        services.AddSingleton<FreezeWatchdog>();
        services.AddSingleton<Switchovers>();
        services.AddSingleton<IMigrationSite, InventoryMigrationSite>();
        services.AddSingleton<Preflight.MigrationPreflight>();
        return services;
    }

    /// <summary>
    /// The engine over <paramref name="databasePath"/> (null: the engine's default) with the VmMigration activities and
    /// the services they need: the one composition the server, the CLI, the lab (demo, bench) and the tests share.
    /// <paramref name="configure"/> runs after the VmMigration activities are added (e.g. to add test-only activities).
    /// </summary>
    public static IServiceCollection AddMigrationRuntime(this IServiceCollection services, string? databasePath,
        Action<MigrationEngineOptions>? configure = null) =>
        services
            .AddMigrationEngine(o =>
            {
                if (!string.IsNullOrWhiteSpace(databasePath))
                    o.DatabasePath = databasePath;
                o.ActivityAssemblies.Add(typeof(GetDiskInfo).Assembly);
                configure?.Invoke(o);
            })
            .AddVmMigration();
}
