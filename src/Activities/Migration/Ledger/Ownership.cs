namespace Elsa.Migration.Activities.Migration.Ledger;

/// <summary>What an undo may do with a resource it finds under a ledger entry's name.</summary>
public enum UndoVerdict
{
    /// <summary>The resource carries this migration's mark: it created it, so it may remove it.</summary>
    Remove,
    /// <summary>Nothing is there any more (undo runs twice, or the create never happened).</summary>
    AlreadyGone,
    /// <summary>Something is there that this migration cannot prove it made (no mark, another mark, an unconfirmed entry): leave it.</summary>
    NotOurs,
}

/// <summary>
/// The ownership rule of every undo (README.md, "Undo only what this migration created"): a resource is removed only
/// when it carries the mark this migration put on it at creation: the ZFS user property <see cref="ZfsProperty"/>
/// holding the instance id on datasets and snapshots, the inode recorded at creation for plain files, the pid and
/// start time recorded at start for the target QEMU.
/// </summary>
public static class Ownership
{
    /// <summary>ZFS user property set at creation (<c>zfs create -o</c>, <c>zfs snapshot -o</c>) to the creating instance's id.</summary>
    public const string ZfsProperty = "elsa:migration";

    /// <summary>The name a copy kept after a migration gets (dataset or file): <c>NAME-kept-INSTANCE</c>, the first 8 characters of the instance id.</summary>
    public static string KeptName(string name, string owner) => $"{name}-kept-{owner[..Math.Min(8, owner.Length)]}";

    /// <summary>
    /// Decides from what is there (<paramref name="exists"/>, <paramref name="foundMark"/>) and what the creator recorded
    /// (<paramref name="expectedMark"/>; null when the ledger entry was never confirmed and the mark cannot be known).
    /// </summary>
    public static UndoVerdict Decide(bool exists, string? foundMark, string? expectedMark) =>
        !exists ? UndoVerdict.AlreadyGone
        : expectedMark is not null && string.Equals(foundMark, expectedMark, StringComparison.Ordinal) ? UndoVerdict.Remove
        : UndoVerdict.NotOurs;
}
