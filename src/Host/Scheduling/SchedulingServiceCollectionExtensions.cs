using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Server;
using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Registers Quartz (in-memory store, rebuilt from our schedules table on start) and the schedule services;
/// and the triggers in definitions, which every process that stores definitions needs.</summary>
public static class SchedulingServiceCollectionExtensions
{
    /// <summary>Wraps the engine's definition store (register the engine first) so publish, unpublish and delete keep
    /// each definition's trigger schedule (<see cref="DefinitionTriggers"/>) up to date, and gives
    /// <see cref="DefinitionCatalog"/> its trigger check.</summary>
    public static IServiceCollection AddDefinitionTriggers(this IServiceCollection services)
    {
        services.AddSingleton<DefinitionTriggers>();
        services.AddSingleton<IDefinitionTriggerCheck>(sp => sp.GetRequiredService<DefinitionTriggers>());
        var engineStore = services.LastOrDefault(d => d.ServiceType == typeof(IWorkflowDefinitionStore));
        if (engineStore?.ImplementationFactory is not { } factory)
            return services;
        services.Remove(engineStore);
        services.AddSingleton<IWorkflowDefinitionStore>(sp => new TriggerSyncingDefinitionStore(
            (IWorkflowDefinitionStore)factory(sp), sp.GetRequiredService<DefinitionTriggers>()));
        return services;
    }

    public static IServiceCollection AddMigrationScheduling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SchedulingOptions>().Bind(configuration.GetSection(SchedulingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var maxConcurrentFires = configuration.GetSection(SchedulingOptions.Section).Get<SchedulingOptions>()?.MaxConcurrentFires ?? 4;
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleTriggers>();
        services.AddSingleton<ScheduleService>();
        services.AddSingleton<ScheduledFireStarter>();
        services.AddQuartz(q =>
        {
            // Quartz asks for an instance name unique within the process: tests run several hosts in one.
            q.ConfigureScheduler(o => o.InstanceName = "elsa-migrate-" + Guid.NewGuid().ToString("N")[..8]);
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = maxConcurrentFires);
        });
        // Rebuild before Quartz starts, so catch-up triggers and regular ones are in place when it does.
        services.AddHostedService<ScheduleRebuilder>();
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<AbandonedFireReclaimer>();
        return services;
    }
}
