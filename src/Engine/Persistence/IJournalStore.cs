namespace Elsa.Migration.Engine.Persistence;

/// <summary>Instance journals. State-change entries are written by <see cref="IWorkflowInstanceStore.CommitAsync"/>;
/// this store appends the lines activities write while they run (messages, progress) and reads journals back.</summary>
public interface IJournalStore
{
    /// <summary>Appends one entry in its own transaction; returns it with its id.</summary>
    Task<JournalEntry> AppendAsync(JournalEntry entry, CancellationToken cancellationToken);

    /// <summary>Entries of an instance with an id greater than <paramref name="afterId"/>, oldest first.</summary>
    Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, long afterId, int limit, CancellationToken cancellationToken);
}
