using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Demo;
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
    private const long ReplicatedSize = 64L << 20, LocalSize = 32L << 20;

    [Fact(Timeout = 420_000)]
    public async Task RunKilledDuringLiveMigrate_RecoverShouldRollBackToTheSourceFromTheLedgerAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        await using var lab = await MigrationLab.CreateAsync(512L << 20, ct);
        await lab.CreateVmAsync(VmId, [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)], ct);
        await lab.DirtyAsync(VmId, 0, 2L << 20, ct); // changed since the replica: ZfsReplicate sends an increment
        await lab.StartVmAsync(VmId, ct);
        var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-crash-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            // A site's copy of the shipped procedure with the RAM migration throttled to 16 KiB/s: LiveMigrate (recovery
            // policy Compensate) runs for minutes, with the disks mirrored, the target QEMU waiting and the migration active.
            var workflow = Path.Combine(work, "live-migrate-throttled.json");
            await File.WriteAllTextAsync(workflow, ThrottledWorkflow(16 * 1024), ct);
            var db = Path.Combine(work, "crash.db");
            await using var store = EngineStores(db);

            using var run = CliProcess.Start(db, "run", workflow, "--db", db, "--input", $"VmId={VmId}", "--input", $"SourceNode={MigrationLab.Source}",
                "--input", $"TargetNode={MigrationLab.Target}", "--input", $"Inventory={lab.Lab.InventoryPath}");
            var instanceId = await WaitForMigrationUnderWayAsync(store, db, run, ct);
            run.Crash();
            await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine("run (killed):\n" + run.Output + run.Error);
            var record = await store.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, ct);
            Assert.Equal(WorkflowStatus.Running, record!.Status); // the dead process left it Running: recovery's job
            Assert.True(MigrationLabAlive(lab, MigrationLab.Target), "the target QEMU must still run after the crash (it is daemonized), else rollback has nothing to prove");

            var clock = Stopwatch.StartNew();
            using var recover = CliProcess.Start(db, "recover", "--db", db);
            var exitCode = await recover.WaitForExitAsync(TimeSpan.FromMinutes(3));
            clock.Stop();
            output.WriteLine($"recover exit {exitCode} after {clock.Elapsed.TotalSeconds:0.00} s:\n{recover.Output}\n{recover.Error}");

            Assert.Equal(0, exitCode);
            Assert.Contains($"Recovering {instanceId}", recover.Output);
            Assert.Contains("compensate (running 'rollback') because activity 'liveMigrate' (VmMigration.LiveMigrate) is not idempotent", recover.Output);
            Assert.Contains("ActivityRecovered liveMigrate", recover.Output); // the journal, live
            Assert.Contains("Rollback complete", recover.Output);
            Assert.Contains($"Instance {instanceId} ended Faulted, compensated cleanly", recover.Output);

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

    /// <summary>Polls the CLI's database (never sleeps blindly) until LiveMigrate has started the RAM migration: its
    /// <c>migration</c> ledger entry exists and a RAM progress line is journaled. Returns the instance id.</summary>
    private async Task<string> WaitForMigrationUnderWayAsync(ServiceProvider store, string db, CliProcess run, CancellationToken ct)
    {
        var instances = store.GetRequiredService<IWorkflowInstanceStore>();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            Assert.False(run.HasExited, $"run exited before the migration was under way:\n{run.Output}\n{run.Error}");
            var summaries = File.Exists(db) ? await instances.ListAsync(new InstanceQuery(), ct) : [];
            if (summaries.FirstOrDefault() is { } instance)
            {
                var ledger = await store.GetRequiredService<ILedgerStore>().ListAsync(instance.Id, ct);
                var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instance.Id, 0, 100_000, ct);
                if (ledger.Any(e => e.Kind == "migration") &&
                    journal.Any(e => e is { Kind: JournalKind.Progress, ActivityId: "liveMigrate" }))
                {
                    output.WriteLine($"killing run at {deadline.Elapsed.TotalSeconds:0.0} s: ledger {string.Join(", ", ledger.Select(e => e.Kind))}; " +
                        $"last journal: {journal[^1]}");
                    return instance.Id;
                }
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"LiveMigrate never got under way:\n{run.Output}\n{run.Error}");
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

    /// <summary>workflows/live-migrate.json with LiveMigrate's RAM bandwidth set (what a site edits in its copy).</summary>
    private static string ThrottledWorkflow(long bytesPerSecond)
    {
        var json = JsonNode.Parse(File.ReadAllText(MigrationLab.FindRepositoryFile("workflows/live-migrate.json")))!.AsObject();
        var node = json["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "liveMigrate")!.AsObject();
        node["maxBandwidthBytesPerSecond"] = new JsonObject
        {
            ["typeName"] = "Int64", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = bytesPerSecond },
        };
        return json.ToJsonString();
    }

    /// <summary>The engine's stores over the CLI's database, for reading (no runtime is started).</summary>
    private static ServiceProvider EngineStores(string db) =>
        new ServiceCollection().AddMigrationEngine(o => o.DatabasePath = db).BuildServiceProvider();
}
