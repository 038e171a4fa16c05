using Elsa.Migration.Host.Scheduling;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary>The services of the commands that use the host's tables, without a web host (same database as <c>serve</c>):
/// the engine as <see cref="CliServices"/> builds it, plus the host's tables and migration admission (VM lock and
/// per-node limit, configured from the environment like the server, e.g. <c>Migrations__MaxConcurrentPerNode=1</c>).</summary>
internal static class HostCliServices
{
    public static ServiceProvider Build(string? databasePath)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var services = CliServices.Create(databasePath);
        services.AddHostTables();
        services.AddDefinitionTriggers();
        services.AddMigrationAdmission(configuration);
        services.AddSingleton<ScheduleStore>();
        services.AddSingleton<Auth.ApiTokenStore>();
        return services.BuildServiceProvider();
    }
}
