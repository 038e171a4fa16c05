namespace Elsa.Migration.Engine.Persistence;

/// <summary>
/// A stored version of a workflow definition. <see cref="Json"/> is the Elsa 3 document with its <c>version</c>,
/// <c>isLatest</c> and <c>isPublished</c> properties set from this row.
/// </summary>
public sealed record StoredWorkflowDefinition(
    string DefinitionId,
    int Version,
    string Name,
    bool IsLatest,
    bool IsPublished,
    string Json,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// Versioned workflow definitions (Elsa's model): the latest version is the one being edited; at most one version is
/// published (the one that runs). Saving a draft edits the latest version when it is unpublished, otherwise it creates
/// the next version. The store keeps JSON text; parsing is the loader's job.
/// </summary>
public interface IWorkflowDefinitionStore
{
    /// <summary>Saves <paramref name="json"/> as the draft (latest, unpublished) version of <paramref name="definitionId"/>.</summary>
    Task<StoredWorkflowDefinition> SaveDraftAsync(string definitionId, string name, string json, CancellationToken cancellationToken);

    /// <summary>Publishes a version (the latest when <paramref name="version"/> is null); the previously published one is unpublished.
    /// Throws <see cref="KeyNotFoundException"/> when there is no such version.</summary>
    Task<StoredWorkflowDefinition> PublishAsync(string definitionId, int? version, CancellationToken cancellationToken);

    /// <summary>Unpublishes every version; false when none was published.</summary>
    Task<bool> RetractAsync(string definitionId, CancellationToken cancellationToken);

    /// <summary>The latest version, or null.</summary>
    Task<StoredWorkflowDefinition?> GetLatestAsync(string definitionId, CancellationToken cancellationToken);

    /// <summary>The published version, or null.</summary>
    Task<StoredWorkflowDefinition?> GetPublishedAsync(string definitionId, CancellationToken cancellationToken);

    /// <summary>A given version, or null.</summary>
    Task<StoredWorkflowDefinition?> GetVersionAsync(string definitionId, int version, CancellationToken cancellationToken);

    /// <summary>The latest version of every definition, by name.</summary>
    Task<IReadOnlyList<StoredWorkflowDefinition>> ListLatestAsync(CancellationToken cancellationToken);

    /// <summary>Every version of one definition, newest first.</summary>
    Task<IReadOnlyList<StoredWorkflowDefinition>> ListVersionsAsync(string definitionId, CancellationToken cancellationToken);

    /// <summary>Deletes every version; false when there was none.</summary>
    Task<bool> DeleteAsync(string definitionId, CancellationToken cancellationToken);
}
