using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// Which QEMU process a pid file names on a node, identified by pid and kernel start time (a pid alone can be reused
/// by another process; the pair cannot). The migration records it as the ownership mark of the target QEMU it started.
/// </summary>
public sealed record QemuProcessMark(int Pid, long StartTime)
{
    /// <summary>Ledger details form.</summary>
    public JsonObject ToJson() => new() { ["pid"] = Pid, ["startTime"] = StartTime };

    /// <summary>The mark stored in ledger details, or null when there is none (the start was never confirmed).</summary>
    public static QemuProcessMark? FromJson(JsonObject? details) =>
        details?["pid"] is { } pid && details["startTime"] is { } start ? new QemuProcessMark(pid.GetValue<int>(), start.GetValue<long>()) : null;

    /// <summary>
    /// The live process that <paramref name="pidFile"/> names on <paramref name="node"/> and whose command line names that
    /// pid file (so it is the QEMU started with it); null when there is no pid file or no such process. Throws when the
    /// node cannot be asked: "could not ask" is never "not running".
    /// </summary>
    public static async Task<QemuProcessMark?> ReadAsync(NodeExecutor node, string pidFile, CancellationToken cancellationToken)
    {
        NameRules.Require(pidFile, NameRules.IsSafeAbsolutePath, "pid file");
        // The pid file is read where every QEMU pid file is read (absent vs could not ask decided there).
        if (await QemuProcess.ReadPidAsync(node, pidFile, cancellationToken).ConfigureAwait(false) is not (> 1 and var pid)) return null;
        var proc = await ReadFilesAsync(node, cancellationToken, $"/proc/{pid}/stat", $"/proc/{pid}/cmdline").ConfigureAwait(false);
        if (proc is null) return null;
        var endOfStat = proc.IndexOf('\n', StringComparison.Ordinal);
        if (endOfStat < 0) return null;
        var stat = proc[..endOfStat];
        var cmdline = proc[(endOfStat + 1)..].Split('\0');
        if (!cmdline.Contains(pidFile, StringComparer.Ordinal)) return null; // the pid now belongs to another process
        return new QemuProcessMark(pid, ParseStartTime(stat));
    }

    /// <summary>Field 22 of <c>/proc/PID/stat</c> (start time in clock ticks after boot); the command name before it may hold spaces.</summary>
    public static long ParseStartTime(string stat)
    {
        var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(afterName[22 - 3], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary><c>cat</c> of the files; null when one does not exist; throws when the node could not be asked.</summary>
    private static async Task<string?> ReadFilesAsync(NodeExecutor node, CancellationToken cancellationToken, params string[] paths)
    {
        var command = new NodeCommand("cat", ["--", .. paths]);
        var result = await node.AskAsync(command, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) return result.StandardOutput;
        if (result.ExitCode == 1 && result.StandardError.Contains("No such file", StringComparison.Ordinal)) return null;
        throw new NodeCommandException(node.NodeName, command, node.Transport.Prepare(command), result.ExitCode,
            $"could not read {string.Join(", ", paths)} on {node.NodeName} ({node.Transport.Describe()}): {result.StandardError.Trim()}");
    }
}
