using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>What every instance driver of one runtime shares.</summary>
internal sealed record RuntimeServices(
    IWorkflowInstanceStore Instances,
    IJournalStore Journal,
    ILedgerStore Ledger,
    IActivityRegistry Registry,
    IExpressionEvaluator Evaluator,
    WorkflowEventHub Events,
    TimeProvider Time,
    IServiceProvider ServiceProvider,
    MigrationEngineOptions Options,
    ILoggerFactory LoggerFactory,
    WorkflowActivityResolver WorkflowActivities,
    LeaseKeeper Leases,
    CancellationToken Stopping);

/// <summary>What a driver tells the runtime that owns it.</summary>
internal interface IInstanceHost
{
    /// <summary>The driver is about to execute: route stimuli for its instance to it.</summary>
    void OnOpened(InstanceDriver driver);

    /// <summary>A state change was committed; <paramref name="timers"/> are timer bookmarks it added.</summary>
    void OnCommitted(InstanceDriver driver, Persistence.WorkflowStatus status, IReadOnlyList<Model.Bookmark> timers);

    /// <summary>The driver stopped executing (suspended, ended, or broken by <paramref name="error"/>) and must not be used again.</summary>
    void OnClosed(InstanceDriver driver, Exception? error);
}
