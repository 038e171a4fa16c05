using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Model;

/// <summary>
/// An external resource an instance created (a dirty bitmap, a block job, an NBD export, a target QEMU, a ZFS
/// snapshot, ...). Recorded in the database before or as it is created, so rollback can undo it after a crash.
/// </summary>
public sealed record LedgerEntry(
    long Id,
    string InstanceId,
    string ActivityId,
    string Kind,
    string Node,
    string Name,
    JsonObject? Details,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReleasedAt);
