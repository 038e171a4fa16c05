using System.Globalization;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>What a QEMU pid file says on a node: the pid it names (null: no pid file) and whether that process is ours.</summary>
public sealed record QemuProcessState(int? Pid, bool Alive);

/// <summary>How <see cref="QemuProcess.StopAsync"/> ended.</summary>
public enum QemuStopResult
{
    /// <summary>No process of ours was running (no pid file, or its pid is gone or recycled).</summary>
    NotRunning,
    /// <summary>It exited on SIGTERM.</summary>
    Terminated,
    /// <summary>It ignored SIGTERM for the grace period and was killed.</summary>
    Killed,
    /// <summary>It still runs after SIGKILL (e.g. stuck in the kernel): the caller must say so.</summary>
    StillAlive,
}

/// <summary>
/// The one place that reads a QEMU's pid file on a node, checks that the pid is still that QEMU, and stops it by TERM
/// then KILL (used by <see cref="QemuVmManager"/> and by Rollback). Every question goes through
/// <see cref="NodeQuery.AskAsync"/>: a node that cannot be asked throws <see cref="NodeUnreachableException"/>, so a
/// failed ssh never reads as "no pid file" or "not running".
/// </summary>
public static class QemuProcess
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(3);

    /// <summary>The pid the pid file names; null when there is no pid file (or it holds no pid).</summary>
    public static async Task<int?> ReadPidAsync(NodeExecutor node, string pidFile, CancellationToken cancellationToken)
    {
        var result = await node.AskAsync(new NodeCommand("cat", "--", pidFile), cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
            return int.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        if (result.StandardError.Contains("No such file", StringComparison.Ordinal))
            return null;
        throw new NodeCommandException(node.NodeName, new NodeCommand("cat", "--", pidFile), node.Transport.Prepare(new NodeCommand("cat", "--", pidFile)),
            result.ExitCode, result.StandardError.Trim());
    }

    /// <summary>
    /// True when <paramref name="pid"/> runs with <paramref name="pidFile"/> on its command line: a stale pid file may name
    /// a recycled pid, and only a process started with this pid file is the QEMU it belongs to.
    /// </summary>
    public static async Task<bool> IsOursAsync(NodeExecutor node, int pid, string pidFile, CancellationToken cancellationToken) =>
        await ProbeAsync(node, pid, pidFile, cancellationToken).ConfigureAwait(false) == Probe.Ours;

    private enum Probe { Ours, Exiting, Gone }

    /// <summary>
    /// Ours: alive with our pid file on its command line. Exiting: the pid still exists with an empty command line (it
    /// is exiting, or a zombie not yet reaped). Gone: no such pid, or another program now has it.
    /// </summary>
    private static async Task<Probe> ProbeAsync(NodeExecutor node, int pid, string pidFile, CancellationToken cancellationToken)
    {
        var result = await node.AskAsync(new NodeCommand("cat", "--", $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline"), cancellationToken)
            .ConfigureAwait(false);
        if (!result.Succeeded) return Probe.Gone;
        if (result.StandardOutput.Length == 0) return Probe.Exiting;
        return result.StandardOutput.Split('\0').Contains(pidFile) ? Probe.Ours : Probe.Gone;
    }

    /// <summary>The pid file's pid and whether that process is ours and alive.</summary>
    public static async Task<QemuProcessState> StatusAsync(NodeExecutor node, string pidFile, CancellationToken cancellationToken)
    {
        var pid = await ReadPidAsync(node, pidFile, cancellationToken).ConfigureAwait(false);
        return new QemuProcessState(pid, pid is { } p && await IsOursAsync(node, p, pidFile, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the QEMU of <paramref name="pidFile"/> to be gone after it was asked to
    /// quit: its monitor closes before the process has exited and released its disks. True once it is gone (or only
    /// not yet reaped at the deadline), false when it still runs.
    /// </summary>
    public static async Task<bool> WaitForExitAsync(NodeExecutor node, string pidFile, TimeSpan wait, CancellationToken cancellationToken)
    {
        return await ReadPidAsync(node, pidFile, cancellationToken).ConfigureAwait(false) is not { } pid
            || await WaitGoneAsync(node, pid, pidFile, wait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the QEMU of <paramref name="pidFile"/>: SIGTERM (QEMU exits cleanly), SIGKILL when it still runs after
    /// <paramref name="gracePeriod"/>. Teardown, not guest downtime: a short poll on the process is fine here.
    /// With <paramref name="only"/>, only that process (pid and start time, see <see cref="QemuProcessMark"/>): another
    /// QEMU that the pid file names now is left running.
    /// </summary>
    public static async Task<(QemuStopResult Result, int? Pid)> StopAsync(NodeExecutor node, string pidFile, TimeSpan gracePeriod, CancellationToken cancellationToken,
        QemuProcessMark? only = null)
    {
        var state = await StatusAsync(node, pidFile, cancellationToken).ConfigureAwait(false);
        if (!state.Alive || state.Pid is not { } pid)
            return (QemuStopResult.NotRunning, state.Pid);
        if (only is not null && await QemuProcessMark.ReadAsync(node, pidFile, cancellationToken).ConfigureAwait(false) != only)
            return (QemuStopResult.NotRunning, pid);
        if (await SignalAndWaitAsync(node, pid, pidFile, "-TERM", gracePeriod, cancellationToken).ConfigureAwait(false))
            return (QemuStopResult.Terminated, pid);
        return await SignalAndWaitAsync(node, pid, pidFile, "-KILL", KillWait, cancellationToken).ConfigureAwait(false)
            ? (QemuStopResult.Killed, pid)
            : (QemuStopResult.StillAlive, pid);
    }

    /// <summary>
    /// Sends <paramref name="signal"/> and waits up to <paramref name="wait"/> for the process to be gone (reaped, so a
    /// caller that looks at /proc afterwards finds nothing); true once it is, or when at the deadline it has only not been
    /// reaped yet (it runs no more). False when it still runs.
    /// </summary>
    private static async Task<bool> SignalAndWaitAsync(NodeExecutor node, int pid, string pidFile, string signal, TimeSpan wait, CancellationToken cancellationToken)
    {
        // kill fails when the process exited meanwhile: that is the answer we want, checked below.
        await node.AskAsync(new NodeCommand("kill", signal, pid.ToString(CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);
        return await WaitGoneAsync(node, pid, pidFile, wait, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> WaitGoneAsync(NodeExecutor node, int pid, string pidFile, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var probe = await ProbeAsync(node, pid, pidFile, cancellationToken).ConfigureAwait(false);
            if (probe == Probe.Gone) return true;
            if (DateTime.UtcNow >= deadline) return probe == Probe.Exiting;
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
