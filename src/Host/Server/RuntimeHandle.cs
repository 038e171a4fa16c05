using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// <see cref="IWorkflowRuntime"/> for the host's services, without owning the runtime. AddMigrationEngine registers the
/// runtime twice (as itself and, by factory, as the interface), so the container would dispose it twice, and its
/// DisposeAsync is not idempotent (ObjectDisposedException at shutdown). Registered before AddMigrationEngine, this
/// handle takes the interface's place; the container disposes the runtime once, through its concrete registration.
/// </summary>
public sealed class RuntimeHandle(WorkflowRuntime runtime) : IWorkflowRuntime
{
    public Task<string> StartAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?>? inputs = null,
        StartWorkflowOptions? options = null, CancellationToken cancellationToken = default) =>
        runtime.StartAsync(definition, inputs, options, cancellationToken);

    public Task<WorkflowStatus> WaitForEndAsync(string instanceId, CancellationToken cancellationToken = default) =>
        runtime.WaitForEndAsync(instanceId, cancellationToken);

    public Task<WorkflowStatus> WaitForIdleAsync(string instanceId, CancellationToken cancellationToken = default) =>
        runtime.WaitForIdleAsync(instanceId, cancellationToken);

    public Task<(string InstanceId, WorkflowStatus Status)> RunToEndAsync(WorkflowDefinition definition,
        IReadOnlyDictionary<string, JsonNode?>? inputs = null, CancellationToken cancellationToken = default) =>
        runtime.RunToEndAsync(definition, inputs, cancellationToken);

    public Task<bool> CancelAsync(string instanceId, CancellationToken cancellationToken = default) =>
        runtime.CancelAsync(instanceId, cancellationToken);

    public Task<bool> ResumeBookmarkAsync(string instanceId, string bookmarkId, JsonNode? input = null, CancellationToken cancellationToken = default) =>
        runtime.ResumeBookmarkAsync(instanceId, bookmarkId, input, cancellationToken);

    public Task<RecoveryReport> RecoverAsync(CancellationToken cancellationToken = default) => runtime.RecoverAsync(cancellationToken);
}
