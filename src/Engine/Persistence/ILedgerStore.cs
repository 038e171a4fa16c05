using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Persistence;

/// <summary>The ledger of external resources instances created. Each call commits immediately, so the record
/// survives a crash right after the resource was made.</summary>
public interface ILedgerStore
{
    /// <summary>Records a resource; returns the stored entry.</summary>
    Task<LedgerEntry> RecordAsync(string instanceId, string activityId, string kind, string node, string name, JsonObject? details, DateTimeOffset createdAt, CancellationToken cancellationToken);

    /// <summary>Marks an entry created (the create succeeded) and merges <paramref name="mark"/> into its details; false when there is no such unreleased entry.</summary>
    Task<bool> ConfirmAsync(string instanceId, long entryId, JsonObject? mark, DateTimeOffset confirmedAt, CancellationToken cancellationToken);

    /// <summary>Marks an entry released; false when there is no such unreleased entry of that instance.</summary>
    Task<bool> ReleaseAsync(string instanceId, long entryId, DateTimeOffset releasedAt, CancellationToken cancellationToken);

    /// <summary>Every entry of an instance, released ones included, oldest first.</summary>
    Task<IReadOnlyList<LedgerEntry>> ListAsync(string instanceId, CancellationToken cancellationToken);
}
