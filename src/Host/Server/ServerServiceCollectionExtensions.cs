using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.Hosting;

namespace Elsa.Migration.Host.Server;

/// <summary>Registrations of the host's own persistence and of migration admission (VM locks, node limits).</summary>
public static class ServerServiceCollectionExtensions
{
    /// <summary>The host's tables in the engine's SQLite file, created before any other hosted service starts.</summary>
    public static IServiceCollection AddHostPersistence(this IServiceCollection services)
    {
        services.AddSingleton<HostDatabase>();
        services.AddSingleton<HostSchema>();
        // Hosted services start in registration order: schema first, then recovery of interrupted instances.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, HostSchemaInitializer>());
        services.AddSingleton<InterruptedInstanceRecovery>();
        services.AddHostedService<RuntimeRecovery>();
        services.AddSingleton<DefinitionCatalog>();
        return services;
    }

    /// <summary>The one start path (<see cref="IMigrationStarter"/>) with its VM lock and per-node limit.</summary>
    public static IServiceCollection AddMigrationAdmission(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MigrationLimitsOptions>().Bind(configuration.GetSection(MigrationLimitsOptions.Section))
            .Validate(o => o.MaxConcurrentPerNode >= 1, "Migrations:MaxConcurrentPerNode must be at least 1.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.VmInputName), "Migrations:VmInputName must name the input that holds the VM id.")
            .ValidateOnStart();
        services.AddSingleton<VmLockStore>();
        services.AddSingleton<IMigrationStarter, MigrationStarter>();
        services.AddHostedService<VmLockReleaser>();
        return services;
    }
}

/// <summary>Recovers instances that were running when the previous process stopped (once, at start-up), through the
/// same <see cref="InterruptedInstanceRecovery"/> as <c>recover</c>, and logs what it decided for each.</summary>
public sealed class RuntimeRecovery(InterruptedInstanceRecovery recovery, ILogger<RuntimeRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (recovered, failed) = await recovery.RecoverAsync(cancellationToken);
        foreach (var instance in recovered)
            logger.LogInformation("Recovered interrupted instance {InstanceId} ({Definition}): {Decision}", instance.InstanceId, instance.DefinitionName, instance.Summary);
        foreach (var (instanceId, error) in failed)
            logger.LogError("Could not recover instance {InstanceId}: {Error}", instanceId, error);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
