namespace Elsa.Migration.Engine.Persistence;

/// <summary>Workflow instances and their bookmarks. Every state change is one transaction (<see cref="CommitAsync"/>).</summary>
public interface IWorkflowInstanceStore
{
    /// <summary>Inserts a new instance with its first journal entries, held by <paramref name="lease"/>'s holder when
    /// given and the instance is Running; returns the entries with their ids.</summary>
    Task<IReadOnlyList<JournalEntry>> CreateAsync(WorkflowInstanceRecord instance, IReadOnlyList<JournalEntry> journal, LeaseClaim? lease,
        CancellationToken cancellationToken);

    /// <summary>Commits one state change (instance row, bookmarks, journal) atomically; returns the journal entries with their ids.</summary>
    Task<IReadOnlyList<JournalEntry>> CommitAsync(InstanceCommit commit, CancellationToken cancellationToken);

    /// <summary>The instance, or null when unknown.</summary>
    Task<WorkflowInstanceRecord?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Instances matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<WorkflowInstanceSummary>> ListAsync(InstanceQuery query, CancellationToken cancellationToken);

    /// <summary>Ids of every instance with the given status (recovery uses it to find instances that were Running).</summary>
    Task<IReadOnlyList<string>> ListIdsAsync(WorkflowStatus status, CancellationToken cancellationToken);

    /// <summary>The instance's current bookmarks.</summary>
    Task<IReadOnlyList<Model.Bookmark>> GetBookmarksAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Every bookmark with this name (a stimulus looks up what waits for it, e.g. a QMP event).</summary>
    Task<IReadOnlyList<StoredBookmark>> FindBookmarksAsync(string name, CancellationToken cancellationToken);

    /// <summary>Timer bookmarks due at or before <paramref name="until"/>, earliest first.</summary>
    Task<IReadOnlyList<StoredBookmark>> GetTimersDueAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken);

    /// <summary>The earliest timer among all bookmarks, or null when there is none.</summary>
    Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken);
}
