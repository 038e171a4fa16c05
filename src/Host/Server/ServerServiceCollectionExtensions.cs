using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Elsa.Migration.Host.Server;

/// <summary>Registrations of the host's own persistence and of migration admission (VM locks, node limits).</summary>
public static class ServerServiceCollectionExtensions
{
    /// <summary>The host's tables in the engine's SQLite file (create them with <see cref="HostSchema.EnsureAsync"/>).
    /// <see cref="DefinitionCatalog"/> also needs an <see cref="IDefinitionTriggerCheck"/>: Scheduling's
    /// <c>AddDefinitionTriggers</c>, registered after this.</summary>
    public static IServiceCollection AddHostTables(this IServiceCollection services)
    {
        // TryAdd: the site catalog (AddSites) needs them too, in processes that have no other host table.
        services.TryAddSingleton<HostDatabase>();
        services.TryAddSingleton<HostSchema>();
        services.AddSingleton<InterruptedInstanceRecovery>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<MigrationOutcomeReader>();
        return services;
    }

    /// <summary>The host's tables, created before any other hosted service starts, then recovery of interrupted instances.</summary>
    public static IServiceCollection AddHostPersistence(this IServiceCollection services)
    {
        services.AddHostTables();
        // Hosted services start in registration order: schema first, then recovery of interrupted instances.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, HostSchemaInitializer>());
        services.AddHostedService<RuntimeRecovery>();
        services.AddHostedService<ExpiredLeaseTakeover>(); // after the start-up recovery, then every poll
        return services;
    }

    /// <summary>
    /// Migration admission (<see cref="MigrationAdmission"/>: VM lock, per-node limit and <see cref="SiteInputCheck"/>, which
    /// reads the <c>ISiteCatalog</c> of <c>AddSites</c>) and <see cref="IMigrationStarter"/>,
    /// with the limits bound from <paramref name="configuration"/>. A process without a host (the CLI) uses these alone;
    /// the server adds <see cref="AddMigrationLockRelease"/>.
    /// </summary>
    public static IServiceCollection AddMigrationAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MigrationLimitsOptions>().Bind(configuration.GetSection(MigrationLimitsOptions.Section))
            .Validate(o => o.MaxConcurrentPerNode >= 1, "Migrations:MaxConcurrentPerNode must be at least 1.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.VmInputName), "Migrations:VmInputName must name the input that holds the VM id.")
            .ValidateOnStart();
        services.AddSingleton<VmLockStore>();
        services.AddSingleton<SiteInputCheck>();
        services.AddSingleton<MigrationAdmission>();
        services.AddSingleton<IMigrationStarter, MigrationStarter>();
        services.AddSingleton<Activities.Evacuation.IVmMigrationStarter, AdmittedVmMigrationStarter>(); // an evacuation's migrations: same rule
        return services.AddPreflightSupport(configuration);
    }

    /// <summary>What Preflight asks the host: the admission, read-only (<see cref="MigrationAdmission.RefusalAsync"/>), and the
    /// node pairs' link rates (<see cref="LinkRateStore"/>, default from <c>Preflight:DefaultLinkBytesPerSecond</c>).</summary>
    public static IServiceCollection AddPreflightSupport(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PreflightOptions>().Bind(configuration.GetSection(PreflightOptions.Section))
            .Validate(o => o.DefaultLinkBytesPerSecond > 0, "Preflight:DefaultLinkBytesPerSecond must be above 0.");
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Activities.Migration.Preflight.IMigrationAdmissionQuery>(sp => sp.GetRequiredService<MigrationAdmission>());
        services.AddSingleton<Activities.Migration.Preflight.ILinkRates, LinkRateStore>();
        return services;
    }

    /// <summary>Releases a VM lock as soon as this process's runtime commits the end of the instance holding it.</summary>
    public static IServiceCollection AddMigrationLockRelease(this IServiceCollection services) =>
        services.AddHostedService<VmLockReleaser>();
}

/// <summary>Recovers instances that were running when the previous process stopped (once, at start-up), through the
/// same <see cref="InterruptedInstanceRecovery"/> as <c>recover</c>, and logs what it decided for each.</summary>
public sealed class RuntimeRecovery(InterruptedInstanceRecovery recovery, ILogger<RuntimeRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var outcome = await recovery.RecoverAsync(cancellationToken);
        foreach (var instance in outcome.Recovered)
            logger.LogInformation("Recovered interrupted instance {InstanceId} ({Definition}): {Decision}", instance.InstanceId, instance.DefinitionName, instance.Summary);
        foreach (var (instanceId, error) in outcome.Failed)
            logger.LogError("Could not recover instance {InstanceId}: {Error}", instanceId, error);
        foreach (var (instanceId, heldBy) in outcome.Held)
            logger.LogInformation("Left instance {InstanceId} alone: it is {HeldBy}", instanceId, heldBy);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
