using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Composition;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Host.Tests.Composition;

/// <summary>What <see cref="MigrationServer.Build"/> puts in the container (built, not started).</summary>
public sealed class ServerCompositionTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Build_ShouldOwnEachOfOurDisposableServicesThroughOneRegistration_AndRegisterWhatTheVmMigrationActivitiesNeed()
    {
        IServiceCollection? registered = null;
        await using var app = MigrationServer.Build(new MigrationServerSettings(
            Urls: "http://127.0.0.1:0", DatabasePath: _db.Path, ConfigureServices: s => registered = s));

        // The container disposes what every registration resolved: one object behind two registrations is disposed twice.
        var doubled = registered!
            .Where(d => !d.IsKeyedService && d.ImplementationInstance is null && !d.ServiceType.IsGenericTypeDefinition
                        && d.ServiceType.Namespace?.StartsWith("Elsa.Migration", StringComparison.Ordinal) == true)
            .Select(d => (d.ServiceType, Instance: app.Services.GetService(d.ServiceType)))
            .Where(r => r.Instance is IDisposable or IAsyncDisposable)
            .GroupBy(r => r.Instance!, ReferenceEqualityComparer.Instance)
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(" and ", g.Select(r => r.ServiceType.Name)))
            .ToList();

        Assert.True(doubled.Count == 0, "disposed once per registration: " + string.Join("; ", doubled));
        Assert.IsType<WorkflowRuntime>(app.Services.GetRequiredService<IWorkflowRuntime>());
        Assert.NotNull(app.Services.GetService<QmpSessionPool>());
        Assert.NotNull(app.Services.GetService<IMigrationSite>());
    }
}
