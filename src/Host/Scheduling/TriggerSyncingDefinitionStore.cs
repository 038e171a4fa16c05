using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>
/// The definition store as the host uses it: every publish, unpublish and delete, whatever the path (CLI import, REST
/// API, Studio), also brings the definition's trigger schedule up to date (<see cref="DefinitionTriggers"/>).
/// </summary>
public sealed class TriggerSyncingDefinitionStore(IWorkflowDefinitionStore inner, DefinitionTriggers triggers) : IWorkflowDefinitionStore
{
    public Task<StoredWorkflowDefinition> SaveDraftAsync(string definitionId, string name, string json, CancellationToken cancellationToken) =>
        inner.SaveDraftAsync(definitionId, name, json, cancellationToken);

    public async Task<StoredWorkflowDefinition> PublishAsync(string definitionId, int? version, CancellationToken cancellationToken)
    {
        var published = await inner.PublishAsync(definitionId, version, cancellationToken);
        await triggers.SyncAsync(definitionId, cancellationToken);
        return published;
    }

    public async Task<bool> RetractAsync(string definitionId, CancellationToken cancellationToken)
    {
        var retracted = await inner.RetractAsync(definitionId, cancellationToken);
        await triggers.SyncAsync(definitionId, cancellationToken);
        return retracted;
    }

    public async Task<bool> DeleteAsync(string definitionId, CancellationToken cancellationToken)
    {
        var deleted = await inner.DeleteAsync(definitionId, cancellationToken);
        await triggers.SyncAsync(definitionId, cancellationToken);
        return deleted;
    }

    public Task<StoredWorkflowDefinition?> GetLatestAsync(string definitionId, CancellationToken cancellationToken) => inner.GetLatestAsync(definitionId, cancellationToken);

    public Task<StoredWorkflowDefinition?> GetPublishedAsync(string definitionId, CancellationToken cancellationToken) => inner.GetPublishedAsync(definitionId, cancellationToken);

    public Task<StoredWorkflowDefinition?> GetVersionAsync(string definitionId, int version, CancellationToken cancellationToken) =>
        inner.GetVersionAsync(definitionId, version, cancellationToken);

    public Task<IReadOnlyList<StoredWorkflowDefinition>> ListLatestAsync(CancellationToken cancellationToken) => inner.ListLatestAsync(cancellationToken);

    public Task<IReadOnlyList<StoredWorkflowDefinition>> ListVersionsAsync(string definitionId, CancellationToken cancellationToken) =>
        inner.ListVersionsAsync(definitionId, cancellationToken);
}
