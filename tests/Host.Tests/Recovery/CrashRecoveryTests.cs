using System.Diagnostics;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// A real migration (real QEMU under TCG, real zfs-fuse, the built CLI as a child process with its own database) killed
/// with SIGKILL mid-migration, then <c>./elsa-migrate recover</c> on the same database. Asserted from the database
/// (status, journal, ledger) and from the nodes (QMP on the source, processes and datasets on the target).
/// </summary>
[Collection("zfs")]
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const string VmId = "crash1";

    [Fact(Timeout = 420_000)]
    public async Task RunKilledDuringLiveMigrate_RecoverShouldRollBackToTheSourceFromTheLedgerAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        await using var lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 2L << 20, ct);
        var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-crash-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            // A site's copy of the shipped procedure with the RAM migration throttled to 16 KiB/s: LiveMigrate (recovery
            // policy Compensate) runs for minutes, with the disks mirrored, the target QEMU waiting and the migration active.
            var workflow = Path.Combine(work, "live-migrate-throttled.json");
            await File.WriteAllTextAsync(workflow, CliMigrationRun.EditedWorkflow("liveMigrate", "maxBandwidthBytesPerSecond", 16 * 1024), ct);
            var db = Path.Combine(work, "crash.db");
            await using var store = CliMigrationRun.EngineStores(db);

            using var run = await CliMigrationRun.StartAsync(lab, workflow, db, VmId);
            var instanceId = await CliMigrationRun.WaitUntilAsync(output, store, db, run, (ledger, journal) => ledger.Any(e => e.Kind == "migration") &&
                journal.Any(e => e is { Kind: JournalKind.Progress, ActivityId: "liveMigrate" }), ct);
            run.Crash();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine("run (killed):\n" + run.Output + run.Error);
            var record = await store.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
            Assert.Equal(WorkflowStatus.Running, record!.Status); // the dead process left it Running: recovery's job
            Assert.True(MigrationLabAlive(lab, MigrationLab.Target), "the target QEMU must still run after the crash (it is daemonized), else rollback has nothing to prove");

            var (exitCode, recoverOutput, _) = await RecoverAsync(db);

            Assert.Equal(0, exitCode);
            Assert.Contains($"Recovering {instanceId}", recoverOutput);
            Assert.Contains("compensate (running 'rollback') because activity 'liveMigrate' (VmMigration.LiveMigrate) is not idempotent", recoverOutput);
            Assert.Contains("ActivityRecovered liveMigrate", recoverOutput); // the journal, live
            Assert.Contains("Rollback complete", recoverOutput);
            Assert.Contains($"Instance {instanceId} ended Faulted, compensated cleanly", recoverOutput);

            // The database: what recovery decided and did, and a ledger with nothing left unreleased.
            record = await store.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
            Assert.Equal(WorkflowStatus.Faulted, record!.Status);
            Assert.Contains("'liveMigrate' (VmMigration.LiveMigrate) ran; its recovery policy is Compensate", record.Error);
            var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);
            var decision = Assert.Single(journal, e => e.Kind == JournalKind.ActivityRecovered);
            Assert.Equal("liveMigrate", decision.ActivityId);
            Assert.Equal("Compensate", decision.Data!["policy"]!.GetValue<string>());
            Assert.DoesNotContain(journal, e => e.Id > decision.Id && e.ActivityId == "liveMigrate"); // never re-run
            var rollback = journal.Where(e => e.Id > decision.Id && e.ActivityId == "rollback" && e.Kind == JournalKind.Message).Select(e => e.Message!).ToList();
            Assert.Contains(rollback, m => m.StartsWith("Rollback migration", StringComparison.Ordinal) && m.Contains("migrate_cancel", StringComparison.Ordinal));
            // The target QEMU exits on its own when its incoming migration is cancelled; Rollback then finds it gone (or quits it).
            Assert.Contains(rollback, m => m.StartsWith("Rollback target-qemu", StringComparison.Ordinal) &&
                (m.Contains("quit", StringComparison.Ordinal) || m.Contains("already gone", StringComparison.Ordinal)));
            Assert.Contains(rollback, m => m.StartsWith("Rollback block-job mig-job-vd1: cancelled", StringComparison.Ordinal));
            Assert.Contains(rollback, m => m.StartsWith("Rollback dirty-bitmap", StringComparison.Ordinal) && m.Contains("removed bitmap", StringComparison.Ordinal));
            Assert.Contains(rollback, m => m.StartsWith("Rollback complete", StringComparison.Ordinal) && m.EndsWith($"runs on {MigrationLab.Source}", StringComparison.Ordinal));
            var ledger = await store.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct);
            var outcome = Activities.Migration.MigrationOutcome.Decide(record.Status, record.Error, journal, ledger);
            Assert.Equal(Activities.Migration.MigrationOutcomes.RolledBack, outcome?.Name);
            Assert.Contains("'liveMigrate' (VmMigration.LiveMigrate) was interrupted by a process crash", outcome!.Reason);
            foreach (var kind in new[] { "dirty-bitmap", "target-qemu", "target-volume", "nbd-client", "block-job", "migration" })
                Assert.Contains(ledger, e => e.Kind == kind);
            Assert.All(ledger, e => Assert.True(e.ReleasedAt is not null, $"ledger entry {e.Kind} {e.Name} not released"));

            await AssertVmOnSourceOnlyAsync(lab, ct);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact(Timeout = 420_000)]
    public async Task RunKilledDuringWaitConvergence_RecoverShouldReRunItAndFinishTheMigrationOnTheTarget()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        await using var lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 2L << 20, ct);
        var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-crash-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            // The local disk's full mirror throttled to 1 MiB/s: WaitConvergence (recovery policy Rerun: it only watches)
            // waits ~30 s for the 32 MiB copy; the mirror job keeps running inside the source QEMU while no host watches.
            var workflow = Path.Combine(work, "live-migrate-slow-mirror.json");
            await File.WriteAllTextAsync(workflow, CliMigrationRun.EditedWorkflow("driveMirror", "bandwidthBytesPerSecond", 1L << 20), ct);
            var db = Path.Combine(work, "crash.db");
            await using var store = CliMigrationRun.EngineStores(db);
            // The source's copy of the local disk is kept (renamed) by Cleanup, to compare it with the target's afterwards.
            using var run = await CliMigrationRun.StartAsync(lab, workflow, db, VmId, "KeepSourceLocalDisks=true");
            var instanceId = await CliMigrationRun.WaitUntilAsync(output, store, db, run, (_, journal) =>
                journal.Any(e => e is { Kind: JournalKind.Progress, ActivityId: "waitConvergence" } && e.Message == "mirroring"), ct);
            run.Crash();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine("run (killed):\n" + run.Output + run.Error);

            var (exitCode, recoverOutput, seconds) = await RecoverAsync(db);

            Assert.Equal(0, exitCode);
            Assert.Contains("re-run activity 'waitConvergence' (VmMigration.WaitConvergence)", recoverOutput);
            Assert.Contains($"Instance {instanceId} ended Finished", recoverOutput);
            var record = await store.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
            Assert.Equal(WorkflowStatus.Finished, record!.Status);
            var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);
            var decision = Assert.Single(journal, e => e.Kind == JournalKind.ActivityRecovered);
            Assert.Equal("waitConvergence", decision.ActivityId);
            Assert.Equal("Rerun", decision.Data!["policy"]!.GetValue<string>());
            var after = journal.Where(e => e.Id > decision.Id).ToList();
            Assert.Contains(after, e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "waitConvergence" });
            Assert.Contains(after, e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "resumeTarget" });
            Assert.DoesNotContain(after, e => e.Kind == JournalKind.ActivityFaulted || e.ActivityId == "rollback");
            Assert.All(await store.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct),
                e => Assert.True(e.ReleasedAt is not null, $"ledger entry {e.Kind} {e.Name} not released"));
            output.WriteLine($"recover: {seconds:0.00} s including the rest of the throttled copy and the migration");

            // The VM runs on the target only, on disks equal to the source's.
            var inventory = lab.Lab.Inventory;
            Assert.False(MigrationLabAlive(lab, MigrationLab.Source), "the source QEMU is still alive");
            var target = await lab.Pool.GetAsync(inventory.RuntimePaths(VmId, MigrationLab.Target).QmpSocket, ct);
            Assert.Equal(RunState.Running, (await target.Client.QueryStatusAsync(ct)).Status);
            var replicated = await lab.CompareAsync(VmId, 0, ct);
            Assert.True(replicated.Identical, $"drive0: {replicated.Output}");
            var local = await lab.CompareAsync(lab.KeptSourcePath(VmId, 1, instanceId), lab.Disk(VmId, 1, MigrationLab.Target).Path, ct);
            Assert.True(local.Identical, $"drive1 (against the kept source copy): {local.Output}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary><c>elsa-migrate recover --db</c> to its end: exit code, output, seconds.</summary>
    private async Task<(int ExitCode, string Output, double Seconds)> RecoverAsync(string db)
    {
        var clock = Stopwatch.StartNew();
        using var recover = CliProcess.Start(db, "recover", "--db", db);
        var exitCode = await recover.WaitForExitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"recover exit {exitCode} after {clock.Elapsed.TotalSeconds:0.00} s:\n{recover.Output}\n{recover.Error}");
        return (exitCode, recover.Output, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The VM runs on the source on its own disks; no migration leftovers on the source; no QEMU or non-replicated volume on the target; the replica is kept.</summary>
    private static async Task AssertVmOnSourceOnlyAsync(MigrationLab lab, CancellationToken ct)
    {
        var inventory = lab.Lab.Inventory;
        var source = await lab.Pool.GetAsync(inventory.RuntimePaths(VmId, MigrationLab.Source).QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        var block = await source.Client.QueryBlockAsync(ct);
        Assert.Equal(inventory.ResolveDisk(VmId, "drive0", MigrationLab.Source).Path, block.Single(b => b.Device == "drive0").Inserted!.File);
        Assert.Equal(inventory.ResolveDisk(VmId, "drive1", MigrationLab.Source).Path, block.Single(b => b.Device == "drive1").Inserted!.File);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(nodes, n => n.DirtyBitmaps.Count > 0);
        Assert.DoesNotContain(nodes, n => n.NodeName.StartsWith("mig-", StringComparison.Ordinal));
        Assert.Empty(await source.Client.QueryBlockJobsAsync(ct));
        Assert.False((await source.Client.QueryMigrateAsync(ct)).Status is MigrationStatus.Active or MigrationStatus.PreSwitchover or MigrationStatus.Setup);

        var target = inventory.RuntimePaths(VmId, MigrationLab.Target);
        Assert.False(MigrationLabAlive(lab, MigrationLab.Target), "a target QEMU is still alive");
        Assert.False(File.Exists(target.QmpSocket), "the target QMP socket is left behind");
        Assert.False(File.Exists(target.NbdSocket), "the target NBD socket is left behind");
        Assert.False(await lab.Lab.Zfs(MigrationLab.Target).ExistsAsync(inventory.ResolveDisk(VmId, "drive1", MigrationLab.Target).Dataset!, ct),
            "the local disk's target volume is left behind");
        Assert.True(await lab.Lab.Zfs(MigrationLab.Target).ExistsAsync(inventory.ResolveDisk(VmId, "drive0", MigrationLab.Target).Dataset!, ct),
            "the replica must be kept");
    }

    private static bool MigrationLabAlive(MigrationLab lab, string node)
    {
        var pidFile = lab.Lab.Inventory.RuntimePaths(VmId, node).PidFile;
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(pidFile, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // no such process
        }
    }
}
