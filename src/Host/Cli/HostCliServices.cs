using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>The services the definition and schedule commands need, without a web host (same database as <c>serve</c>):
/// the engine as <see cref="CliServices"/> builds it, plus the host's tables.</summary>
internal static class HostCliServices
{
    public static ServiceProvider Build(string? databasePath)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddMigrationEngine(o =>
        {
            if (!string.IsNullOrWhiteSpace(databasePath))
                o.DatabasePath = databasePath;
            o.ActivityAssemblies.AddRange(CliServices.ActivityAssemblies);
        });
        services.AddSingleton<HostDatabase>();
        services.AddSingleton<HostSchema>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<Scheduling.ScheduleStore>();
        return services.BuildServiceProvider();
    }
}
