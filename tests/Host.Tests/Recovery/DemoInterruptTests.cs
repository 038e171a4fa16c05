using System.Diagnostics;
using System.Text.RegularExpressions;
using Elsa.Migration.Host.Tests.Cli;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// <c>./elsa-migrate demo --no-guest</c> as a real process (real zfs-fuse, real QEMU under TCG), interrupted with SIGINT
/// (what Ctrl-C sends) while it migrates: it must roll back, exit, and leave nothing of its own on the machine.
/// </summary>
[Collection("zfs")]
public sealed partial class DemoInterruptTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task DemoInterruptedMidMigration_ShouldRollBackExitAndLeaveNoQemuPoolOrLabDirectory()
    {
        var db = Path.Combine("/tmp", $"elsa-demo-unused-{Guid.NewGuid():N}.db"); // the demo uses its own throw-away database
        // 1 MiB/s per disk copy: the 64 MiB local disk's mirror takes about a minute, so SIGINT surely lands mid-copy.
        using var demo = CliProcess.Start(db, "demo", "--no-guest", "--disk-bandwidth", "1");
        try
        {
            await demo.WaitForOutputAsync("Lab ready in", TimeSpan.FromMinutes(3));
            // Mid-migration: the target QEMU and its NBD exports exist (PrepareTarget done), the disks are being copied.
            await demo.WaitForOutputAsync("prepareTarget:", TimeSpan.FromMinutes(2));
            var clock = Stopwatch.StartNew();
            await demo.InterruptAsync();
            var exitCode = await demo.WaitForExitAsync(TimeSpan.FromMinutes(2));
            clock.Stop();
            output.WriteLine($"exit {exitCode} {clock.Elapsed.TotalSeconds:0.00} s after SIGINT\n{demo.Output}\n{demo.Error}");

            // Spectre wraps lines at 80 columns when the output is not a terminal: compare on whitespace-normalised text.
            var text = Regex.Replace(demo.Output, @"\s+", " ");
            Assert.Equal(130, exitCode);
            Assert.Contains("Interrupted: rolling back and cleaning up", text);
            Assert.Contains("rollback: Rollback target-qemu", text);
            Assert.Matches(@"rollback: Rollback complete: \d+ resources undone; VM demo1 runs on lab-a", text);
            Assert.Contains("Migration RolledBack: the migration was cancelled", text);
            Assert.Contains("Lab removed", text);

            var labDir = LabDirectory().Match(text).Groups[1].Value;
            Assert.StartsWith("/tmp/elsa-lab-", labDir);
            var suffix = labDir["/tmp/elsa-lab-".Length..];
            Assert.False(Directory.Exists(labDir), $"the lab directory {labDir} is left behind");
            Assert.Empty(QemuProcessesUsing(labDir));
            var pools = await PoolsAsync();
            Assert.DoesNotContain(pools, p => p.Contains(suffix, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(db);
        }
    }

    [GeneratedRegex(@"Lab ready in\s+(/tmp/elsa-lab-[0-9a-f]+)")]
    private static partial Regex LabDirectory();

    /// <summary>Processes whose command line mentions the lab directory (its QEMUs name their pid files and sockets there).</summary>
    private static List<string> QemuProcessesUsing(string labDir)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(labDir, StringComparison.Ordinal)) found.Add($"{Path.GetFileName(dir)}: {cmdline}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // the process exited while we looked
            }
        }
        return found;
    }

    private static async Task<List<string>> PoolsAsync()
    {
        var start = new ProcessStartInfo("zpool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "list", "-H", "-o", "name" }) start.ArgumentList.Add(a);
        using var zpool = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = await zpool.StandardOutput.ReadToEndAsync(timeout.Token);
        await zpool.WaitForExitAsync(timeout.Token);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
