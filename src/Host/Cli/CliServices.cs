using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>The services the definition and schedule commands need, without a web host (same database as <c>serve</c>).</summary>
internal static class CliServices
{
    public static ServiceProvider Build(string? databasePath)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IWorkflowRuntime>(sp => new RuntimeHandle(sp.GetRequiredService<WorkflowRuntime>()));
        services.AddMigrationEngine(o =>
        {
            if (!string.IsNullOrWhiteSpace(databasePath))
                o.DatabasePath = databasePath;
            o.ActivityAssemblies.Add(MigrationServer.ActivitiesAssembly);
        });
        services.AddSingleton<HostDatabase>();
        services.AddSingleton<HostSchema>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<Scheduling.ScheduleStore>();
        return services.BuildServiceProvider();
    }
}
