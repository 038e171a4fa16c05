using System.Diagnostics;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// What the built CLI's <c>run</c> tells a script and an operator when a migration does not succeed (real QEMU under TCG,
/// real zfs-fuse, the shipped procedure): RolledBack exits 1 with the first failure; a rollback that cannot bring the VM
/// back exits 4 NeedsAttention. Asserted from the exit code, the output and the database.
/// </summary>
[Collection("zfs")]
public sealed class RunOutcomeTests(ITestOutputHelper output)
{
    private const string VmId = "outc1";

    [Fact(Timeout = 300_000)]
    public async Task Run_WhenPreflightRefusesAnUnknownVm_ShouldEndRefusedWithExit1AndTheReason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 0, cts.Token);
        var db = Path.Combine(Path.GetTempPath(), $"elsa-outcome-{Guid.NewGuid():N}.db");
        try
        {
            using var run = await CliMigrationRun.StartAsync(lab, MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), db, "no-such-vm");
            var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine($"run exit {exitCode}:\n{run.Output}\n{run.Error}");

            Assert.Equal(1, exitCode);
            Assert.Contains("Outcome Refused: inventory: ", run.Output);
            Assert.Contains("no-such-vm", run.Output.Split('\n').Single(l => l.StartsWith("Outcome ", StringComparison.Ordinal)));
            var (instance, outcome) = await ReadOutcomeAsync(db, cts.Token);
            Assert.Equal(WorkflowStatus.Faulted, instance.Status);
            Assert.Equal(MigrationOutcomes.Refused, outcome?.Name);
            Assert.Equal(outcome!.Reason, instance.Error); // the incident is the refusal, in the procedure's Elsa.Fault

            var (showExit, show, _) = await CliProcess.RunAsync(db, "show", instance.Id, "--db", db);
            Assert.Equal(0, showExit);
            Assert.Contains($"Outcome    Refused: {outcome.Reason}", show);
            var (listExit, list, _) = await CliProcess.RunAsync(db, "instances", "--db", db);
            Assert.Equal(0, listExit);
            Assert.Matches($@"{instance.Id}\s+Faulted\s+Refused", list);
        }
        finally
        {
            DeleteDatabase(db);
        }
    }

    [Fact(Timeout = 360_000)]
    public async Task Run_WhenTheSourceQemuDiesMidCopy_RollbackCannotBringTheVmBack_ShouldExit4NeedsAttention()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = cts.Token;
        await using var lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 0, ct);
        var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-outcome-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var db = Path.Combine(work, "state.db");
        try
        {
            // The local disk's full copy throttled to 1 MiB/s: the mirror is under way long enough to kill the source under it.
            var workflow = Path.Combine(work, "live-migrate-throttled.json");
            await File.WriteAllTextAsync(workflow, CliMigrationRun.EditedWorkflow("driveMirror", "bandwidthBytesPerSecond", 1L << 20), ct);
            using var run = await CliMigrationRun.StartAsync(lab, workflow, db, VmId);
            await using var store = CliMigrationRun.EngineStores(db);
            await CliMigrationRun.WaitUntilAsync(output, store, db, run, (_, journal) => journal.Any(e => e is { Kind: JournalKind.ActivityStarted, ActivityId: "waitConvergence" }), ct);
            var pidFile = lab.Lab.Inventory.RuntimePaths(VmId, MigrationLab.Source).PidFile;
            var pid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim());
            output.WriteLine($"killing the source QEMU {pid} mid-copy");
            Process.GetProcessById(pid).Kill();

            var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine($"run exit {exitCode}:\n{run.Output}\n{run.Error}");

            Assert.Equal(4, exitCode);
            var line = run.Output.Split('\n').Single(l => l.StartsWith("Outcome ", StringComparison.Ordinal));
            Assert.StartsWith("Outcome NeedsAttention: Rollback failed: ", line);
            Assert.Contains($"VM {VmId} runs nowhere", line);
            Assert.Contains(MigrationLab.Source, line);
            var (instance, outcome) = await ReadOutcomeAsync(db, ct);
            Assert.Equal(WorkflowStatus.Faulted, instance.Status);
            Assert.Equal(MigrationOutcomes.NeedsAttention, outcome?.Name);
            Assert.Contains("first failure: 'waitConvergence'", outcome!.Reason);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(WorkflowInstanceRecord Instance, MigrationOutcome? Outcome)> ReadOutcomeAsync(string db, CancellationToken ct)
    {
        await using var store = CliMigrationRun.EngineStores(db);
        var summary = Assert.Single(await store.GetRequiredService<IWorkflowInstanceStore>().ListAsync(new InstanceQuery(), ct));
        var instance = (await store.GetRequiredService<IWorkflowInstanceStore>().GetAsync(summary.Id, ct))!;
        var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instance.Id, 0, 100_000, ct);
        var ledger = await store.GetRequiredService<ILedgerStore>().ListAsync(instance.Id, ct);
        return (instance, MigrationOutcome.Decide(instance.Status, instance.Error, journal, ledger));
    }

    private static void DeleteDatabase(string db)
    {
        foreach (var file in new[] { db, db + "-wal", db + "-shm" })
            File.Delete(file);
    }
}
