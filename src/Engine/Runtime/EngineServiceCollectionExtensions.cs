using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>Registers the engine: activity registry, loader, expressions, stores (SQLite or PostgreSQL), event stream and runtime.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds the workflow engine as singletons: <see cref="IWorkflowRuntime"/>, <see cref="IWorkflowEventStream"/>,
    /// <see cref="IWorkflowDefinitionStore"/>, <see cref="IWorkflowInstanceStore"/>, <see cref="IInstanceLeaseStore"/>, <see cref="IJournalStore"/>,
    /// <see cref="ILedgerStore"/>, <see cref="IActivityRegistry"/> (built-ins plus <see cref="MigrationEngineOptions.ActivityAssemblies"/>),
    /// <see cref="IWorkflowDefinitionLoader"/> and <see cref="IExpressionEvaluator"/>. Registrations made before this
    /// call win (e.g. a fake <see cref="TimeProvider"/> in tests). Call <see cref="IWorkflowRuntime.RecoverAsync"/> at start-up.
    /// </summary>
    public static IServiceCollection AddMigrationEngine(this IServiceCollection services, Action<MigrationEngineOptions>? configure = null)
    {
        var options = new MigrationEngineOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => StoreDatabase.For(options.DatabasePath, sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton<IWorkflowDefinitionStore>(sp => new SqlWorkflowDefinitionStore(sp.GetRequiredService<StoreDatabase>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IWorkflowInstanceStore>(sp => new SqlWorkflowInstanceStore(sp.GetRequiredService<StoreDatabase>()));
        services.TryAddSingleton<IInstanceLeaseStore>(sp => new SqlInstanceLeaseStore(sp.GetRequiredService<StoreDatabase>()));
        services.TryAddSingleton<IJournalStore>(sp => new SqlJournalStore(sp.GetRequiredService<StoreDatabase>()));
        services.TryAddSingleton<ILedgerStore>(sp => new SqlLedgerStore(sp.GetRequiredService<StoreDatabase>()));
        services.TryAddSingleton<IActivityRegistry>(_ => ActivityRegistry.FromAssemblies([typeof(Start).Assembly, .. options.ActivityAssemblies]));
        services.TryAddSingleton<IExpressionEvaluator>(_ => new ExpressionEvaluator());
        services.TryAddSingleton(sp => new WorkflowActivityResolver(sp.GetRequiredService<IWorkflowDefinitionStore>(), sp.GetRequiredService<IActivityRegistry>()));
        services.TryAddSingleton<IWorkflowDefinitionLoader>(sp => new WorkflowDefinitionLoader(sp.GetRequiredService<IActivityRegistry>(), sp.GetRequiredService<IExpressionEvaluator>(),
            sp.GetRequiredService<WorkflowActivityResolver>()));
        services.TryAddSingleton<WorkflowEventHub>();
        services.TryAddSingleton<IWorkflowEventStream>(sp => sp.GetRequiredService<WorkflowEventHub>());
        // One registration only: the container disposes what each registration created, so a second registration
        // forwarding to the same runtime (e.g. the concrete type plus the interface) would dispose it twice.
        services.TryAddSingleton<IWorkflowRuntime>(sp => new WorkflowRuntime(
            sp.GetRequiredService<IWorkflowInstanceStore>(), sp.GetRequiredService<IInstanceLeaseStore>(), sp.GetRequiredService<IJournalStore>(), sp.GetRequiredService<ILedgerStore>(),
            sp.GetRequiredService<IActivityRegistry>(), sp.GetRequiredService<IWorkflowDefinitionLoader>(), sp.GetRequiredService<IExpressionEvaluator>(),
            sp.GetRequiredService<WorkflowEventHub>(), sp.GetRequiredService<TimeProvider>(), sp, options,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance, sp.GetRequiredService<WorkflowActivityResolver>()));
        return services;
    }
}
