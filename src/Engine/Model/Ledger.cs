using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Model;

/// <summary>
/// An external resource an instance created (a dirty bitmap, a block job, an NBD export, a target QEMU, a ZFS
/// snapshot, ...). Recorded in the database before it is created, so rollback can undo it after a crash, and
/// confirmed (<see cref="ConfirmedAt"/>, with the resource's ownership mark merged into <see cref="Details"/>) once the
/// create succeeded: an entry that was never confirmed may stand for something that was never made, or that someone
/// else made, so its undo must check the mark before destroying anything.
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
    DateTimeOffset? ReleasedAt,
    DateTimeOffset? ConfirmedAt = null);
