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
            Assert.True(MigrationLabChecks.QemuAlive(lab, VmId, MigrationLab.Target), "the target QEMU must still run after the crash (it is daemonized), else rollback has nothing to prove");

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

            await MigrationLabChecks.AssertVmOnSourceOnlyAsync(lab, VmId, ct);
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

            await MigrationLabChecks.AssertVmOnTargetOnlyAsync(lab, VmId, instanceId, ct);
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
}
