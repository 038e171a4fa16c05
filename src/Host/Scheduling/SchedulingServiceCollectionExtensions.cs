using Quartz;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Registers Quartz (in-memory store, rebuilt from our schedules table on start) and the schedule services.</summary>
public static class SchedulingServiceCollectionExtensions
{
    public static IServiceCollection AddMigrationScheduling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SchedulingOptions>().Bind(configuration.GetSection(SchedulingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var maxConcurrentFires = configuration.GetSection(SchedulingOptions.Section).Get<SchedulingOptions>()?.MaxConcurrentFires ?? 4;
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<ScheduleTriggers>();
        services.AddSingleton<ScheduleService>();
        services.AddQuartz(q =>
        {
            // Quartz keeps schedulers in a process-wide repository by name: a unique name lets tests run several hosts.
            q.SchedulerName = "elsa-migrate-" + Guid.NewGuid().ToString("N")[..8];
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = maxConcurrentFires);
        });
        // Rebuild before Quartz starts, so catch-up triggers and regular ones are in place when it does.
        services.AddHostedService<ScheduleRebuilder>();
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
