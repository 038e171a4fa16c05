using Elsa.Migration.Engine.Runtime;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>How <see cref="EngineServiceCollectionExtensions.AddMigrationEngine"/> hands the runtime to a container.</summary>
public sealed class RuntimeRegistrationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-registration-tests-" + Guid.NewGuid().ToString("N"));

    public RuntimeRegistrationTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task AddMigrationEngine_ShouldLetTheContainerOwnEachDisposableServiceThroughOneRegistrationOnly()
    {
        // The container disposes what every registration resolved: one object behind two registrations is disposed twice.
        var services = new ServiceCollection().AddMigrationEngine(o => o.DatabasePath = Path.Combine(_directory, "state.db"));
        await using var provider = services.BuildServiceProvider();

        var owners = services
            .Where(d => !d.IsKeyedService && d.ImplementationInstance is null && !d.ServiceType.IsGenericTypeDefinition)
            .Select(d => (d.ServiceType, Instance: provider.GetService(d.ServiceType)))
            .Where(r => r.Instance is IDisposable or IAsyncDisposable)
            .GroupBy(r => r.Instance!, ReferenceEqualityComparer.Instance)
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(" and ", g.Select(r => r.ServiceType.Name)))
            .ToList();

        Assert.True(owners.Count == 0, "disposed once per registration: " + string.Join("; ", owners));
        Assert.IsType<WorkflowRuntime>(provider.GetRequiredService<IWorkflowRuntime>());
    }

    [Fact]
    public async Task DisposeAsync_WhenCalledTwice_ShouldStopOnceAndNotThrow()
    {
        var services = new ServiceCollection().AddMigrationEngine(o => o.DatabasePath = Path.Combine(_directory, "state.db"));
        var provider = services.BuildServiceProvider();
        var runtime = (WorkflowRuntime)provider.GetRequiredService<IWorkflowRuntime>();

        await runtime.DisposeAsync();
        await runtime.DisposeAsync();
        await provider.DisposeAsync(); // the container's own dispose comes third

        var error = await Record.ExceptionAsync(async () => await runtime.DisposeAsync());
        Assert.Null(error);
    }
}
