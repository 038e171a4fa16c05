using System.Text.Json.Serialization;

namespace Elsa.Migration.Activities.Migration.Planning;

/// <summary>How a disk reaches the target (README.md, "What the demo shows"; the disk kinds of the site inventory).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationDiskKind>))]
public enum MigrationDiskKind
{
    /// <summary>On storage both nodes see: nothing to copy.</summary>
    Shared,
    /// <summary>Local to the source, not replicated: full copy (mirror when attached, storage copy when unused).</summary>
    Local,
    /// <summary>Replicated with ZFS: incremental copy on top of the replica.</summary>
    Replicated,
}
