using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Lab;

/// <summary>
/// Makes sure a zfs-fuse daemon answers on this machine. There can be only one (fixed socket paths), so one that
/// already runs (maybe started by someone else) is reused and never stopped by us.
/// </summary>
public sealed class ZfsFuseDaemon
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly NodeExecutor _local;
    private readonly ILogger _logger;

    public ZfsFuseDaemon(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _local = NodeExecutor.Local("localhost", _logger);
    }

    /// <summary>True when <c>zpool list</c> answers.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken = default) =>
        (await _local.TryRunAsync(new NodeCommand("zpool", "list"), cancellationToken).ConfigureAwait(false)).Succeeded;

    /// <summary>Starts zfs-fuse unless one answers already. Returns true when this call started it.</summary>
    public async Task<bool> EnsureRunningAsync(string pidFile, CancellationToken cancellationToken = default)
    {
        NameRules.Require(pidFile, NameRules.IsSafeAbsolutePath, "pid file");
        if (await IsRunningAsync(cancellationToken).ConfigureAwait(false)) return false;
        var which = await _local.TryRunAsync(new NodeCommand("sh", "-c", "command -v zfs-fuse"), cancellationToken).ConfigureAwait(false);
        if (!which.Succeeded && !File.Exists("/usr/sbin/zfs-fuse"))
            throw new InvalidOperationException("zfs-fuse is not installed: run ./scripts/setup.sh (Debian package zfs-fuse).");
        _logger.LogInformation("Starting zfs-fuse (pid file {PidFile})", pidFile);
        // zfs-fuse refuses to start (exit 1, nothing said) while its pid file exists, even when it names a dead process
        // (a daemon that was killed): such a stale file, and the dead daemon's socket and lock, are removed first.
        if (File.Exists(pidFile) && !ProcessAlive(File.ReadAllText(pidFile)))
            foreach (var stale in new[] { pidFile, "/var/run/zfs/zfs_socket", "/var/lock/zfs/zfs_lock" })
                File.Delete(stale);
        await _local.RunAsync(new NodeCommand("zfs-fuse", "--pidfile", pidFile, "--no-kstat-mount"), cancellationToken).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + StartTimeout;
        // Ready when zpool list answers (~0.2 s here).
        while (!await IsRunningAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"zfs-fuse started but 'zpool list' did not answer within {StartTimeout.TotalSeconds} s; check /dev/fuse and syslog.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    private static bool ProcessAlive(string pidText) =>
        int.TryParse(pidText.Trim(), out var pid) && pid > 1 && Directory.Exists($"/proc/{pid}");
}
