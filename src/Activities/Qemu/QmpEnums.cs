using System.Collections.Concurrent;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>VM run state from <c>query-status</c> (QAPI <c>RunState</c>).</summary>
public enum RunState
{
    Unknown, Debug, Inmigrate, InternalError, IoError, Paused, Postmigrate, Prelaunch, FinishMigrate,
    RestoreVm, Running, SaveVm, Shutdown, Suspended, Watchdog, GuestPanicked, Colo,
}

/// <summary>Generic job status (QAPI <c>JobStatus</c>), in query-block-jobs and JOB_STATUS_CHANGE.</summary>
public enum JobStatus
{
    Unknown, Undefined, Created, Running, Paused, Ready, Standby, Waiting, Pending, Aborting, Concluded, Null,
}

/// <summary>Block job type (QAPI <c>JobType</c>).</summary>
public enum BlockJobType
{
    Unknown, Commit, Stream, Mirror, Backup, Create, Amend, SnapshotLoad, SnapshotSave, SnapshotDelete,
}

/// <summary>Migration status (QAPI <c>MigrationStatus</c>).</summary>
public enum MigrationStatus
{
    Unknown, None, Setup, Cancelling, Cancelled, Active, PostcopyActive, PostcopyPaused, PostcopyRecover,
    Completed, Failed, Colo, PreSwitchover, Device, WaitUnplug,
}

/// <summary>Sync mode of a mirror or backup job (QAPI <c>MirrorSyncMode</c>).</summary>
public enum SyncMode { Full, Top, None, Incremental, Bitmap }

/// <summary>What a backup job does with its bitmap when done (QAPI <c>BitmapSyncMode</c>).</summary>
public enum BitmapSyncMode { OnSuccess, Never, Always }

/// <summary>Mirror copy mode (QAPI <c>MirrorCopyMode</c>): background, or write-blocking (active) mirror.</summary>
public enum MirrorCopyMode { Background, WriteBlocking }

/// <summary>Migration capabilities this project sets (QAPI <c>MigrationCapability</c>).</summary>
public enum MigrationCapability { Events, PauseBeforeSwitchover, XbzrleCompression, AutoConverge, Postcopy, DirtyBitmaps, ZeroBlocks }

/// <summary>Converts between QAPI kebab-case enum values and the C# enums above.</summary>
public static class QmpEnum
{
    private static readonly ConcurrentDictionary<(Type, string), object> ParseCache = new();

    /// <summary>Parses a QAPI value (<c>pre-switchover</c>) into <typeparamref name="T"/>; unknown values map to <c>Unknown</c> when the enum has it.</summary>
    public static T Parse<T>(string? value) where T : struct, Enum
    {
        var key = (typeof(T), value ?? "");
        return (T)ParseCache.GetOrAdd(key, static k =>
        {
            var compact = k.Item2.Replace("-", "").Replace("_", "");
            if (Enum.TryParse(typeof(T), compact, ignoreCase: true, out var parsed) && Enum.IsDefined(typeof(T), parsed!))
                return parsed!;
            if (Enum.TryParse(typeof(T), "Unknown", out var unknown))
                return unknown!;
            throw new FormatException($"'{k.Item2}' is not a known {typeof(T).Name} value.");
        });
    }

    /// <summary>Formats an enum value the way QAPI spells it (<c>PreSwitchover</c> becomes <c>pre-switchover</c>).</summary>
    public static string ToQapi<T>(T value) where T : struct, Enum
    {
        if (value is MigrationCapability cap)
        {
            // Capability names are not uniformly kebab-case in QAPI.
            return cap switch
            {
                MigrationCapability.Events => "events",
                MigrationCapability.PauseBeforeSwitchover => "pause-before-switchover",
                MigrationCapability.XbzrleCompression => "xbzrle",
                MigrationCapability.AutoConverge => "auto-converge",
                MigrationCapability.Postcopy => "postcopy-ram",
                MigrationCapability.DirtyBitmaps => "dirty-bitmaps",
                MigrationCapability.ZeroBlocks => "zero-blocks",
                _ => throw new ArgumentOutOfRangeException(nameof(value)),
            };
        }
        var name = value.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
