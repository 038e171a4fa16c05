using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Tests.Cli;
using Elsa.Migration.Host.Tests.Recovery;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Evacuation;

/// <summary>
/// <c>./elsa-migrate run workflows/live-migrate.json workflows/evacuate-node.json</c> on the two-node lab (real QEMU
/// under TCG, real zfs-fuse, the built CLI as a process of its own): three guest-less VMs running on lab-a (a fourth is
/// defined but stopped) leave for lab-b two at a time, each by live-migrate as an instance of its own; one of them
/// loses its target QEMU mid-copy and is rolled back while the other two finish. Asserted from the exit code, the
/// output, the database (the result table, the children's journals) and the nodes.
/// </summary>
[Collection("zfs")]
public sealed class EvacuateNodeLabTests(ITestOutputHelper output)
{
    private const string Victim = "evac2";

    [Fact(Timeout = 420_000)]
    public async Task Evacuation_MovesTwoVmsAtATime_RollsBackTheOneWhoseTargetDied_AndReportsAllThree()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        await using var lab = await MigrationLab.CreateAsync(512L << 20, ct);
        // Local disks copied at 1 MiB/s (the evacuation's DiskBandwidth): 4 MiB for the others, 48 MiB for the victim, time to kill its target mid-copy.
        await lab.CreateVmAsync("evac1", [(DiskKind.Replicated, 16L << 20), (DiskKind.Local, 4L << 20)], ct);
        await lab.CreateVmAsync(Victim, [(DiskKind.Replicated, 16L << 20), (DiskKind.Local, 48L << 20)], ct);
        await lab.CreateVmAsync("evac3", [(DiskKind.Replicated, 16L << 20), (DiskKind.Local, 4L << 20)], ct);
        await lab.CreateVmAsync("evac4", [(DiskKind.Replicated, 16L << 20)], ct); // stopped: not part of the evacuation
        foreach (var vm in new[] { "evac1", Victim, "evac3" })
            await lab.StartVmAsync(vm, ct);
        var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-evacuate-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            var db = Path.Combine(work, "state.db");
            await CliMigrationRun.ImportSiteAsync(lab, db);
            await using var store = CliMigrationRun.EngineStores(db);
            using var run = CliProcess.Start(db, "run", MigrationLab.FindRepositoryFile("workflows/live-migrate.json"),
                MigrationLab.FindRepositoryFile("workflows/evacuate-node.json"), "--db", db, "--input", $"Site={MigrationLab.SiteName}",
                "--input", $"Node={MigrationLab.Source}", "--input", $"TargetNode={MigrationLab.Target}", "--input", "MaxParallel=2",
                "--input", $"DiskBandwidth={1 << 20}");

            await KillTargetQemuMidCopyAsync(lab, store, run, ct);
            var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(4));
            output.WriteLine($"run exit {exitCode}:\n{run.Output}\n{run.Error}");

            // One VM rolled back, none needs attention: RolledBack, exit 1, each VM that did not move named with its reason.
            Assert.Equal(1, exitCode);
            var outcome = run.Output.Split('\n').Single(l => l.StartsWith("Outcome ", StringComparison.Ordinal));
            Assert.StartsWith($"Outcome RolledBack: 2 of 3 VMs moved; VM {Victim} (lab-a -> lab-b) RolledBack: 'waitConvergence' (VmMigration.WaitConvergence) failed: ", outcome);
            Assert.Contains("target QEMU on lab-b exited", outcome);

            var instances = store.GetRequiredService<IWorkflowInstanceStore>();
            var evacuation = Assert.Single(await instances.ListAsync(new InstanceQuery(DefinitionId: "evacuate-node"), ct));
            Assert.Equal(WorkflowStatus.Faulted, evacuation.Status);
            var results = WorkflowOutputs.Read((await instances.GetAsync(evacuation.Id, ct))!)["Results"]!.AsArray().Select(r => r!.AsObject()).ToList();
            Assert.Equal(["evac1", Victim, "evac3"], results.Select(r => r["vmId"]!.GetValue<string>()));
            Assert.Equal(["Migrated", "RolledBack", "Migrated"], results.Select(r => r["outcome"]!.GetValue<string>()));
            Assert.All(results, r => Assert.Equal(MigrationLab.Target, r["targetNode"]!.GetValue<string>()));
            Assert.Contains("target QEMU on lab-b exited", results[1]["reason"]!.GetValue<string>());

            // Each VM moved by an instance of its own; never more than two at once, and two did run at once.
            var children = await instances.ListAsync(new InstanceQuery(DefinitionId: "live-migrate"), ct);
            Assert.Equal(results.Select(r => r["instanceId"]!.GetValue<string>()).Order(), children.Select(c => c.Id).Order());
            var spans = new List<(string Vm, DateTimeOffset From, DateTimeOffset To)>();
            foreach (var child in children)
            {
                var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(child.Id, 0, 100_000, ct);
                spans.Add((child.CorrelationId!, journal[0].At, journal[^1].At));
                output.WriteLine($"{child.CorrelationId}: {journal[0].At:HH:mm:ss.fff} .. {journal[^1].At:HH:mm:ss.fff} {child.Status}");
            }
            Assert.Equal(2, MostAtOnce(spans));

            // The nodes: the two migrated VMs run on lab-b only, the victim on lab-a only, the stopped one nowhere.
            Assert.Equal((false, true), await RunsOnAsync(lab, "evac1", ct));
            Assert.Equal((true, false), await RunsOnAsync(lab, Victim, ct));
            Assert.Equal((false, true), await RunsOnAsync(lab, "evac3", ct));
            Assert.Equal((false, false), await RunsOnAsync(lab, "evac4", ct));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(work, recursive: true);
        }
    }

    // Once the victim's migration waits for its local disk's throttled mirror, its target QEMU is killed.
    private async Task KillTargetQemuMidCopyAsync(MigrationLab lab, ServiceProvider store, CliProcess run, CancellationToken ct)
    {
        var instances = store.GetRequiredService<IWorkflowInstanceStore>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            Assert.False(run.HasExited, $"run exited before the victim's mirror started:\n{run.Output}\n{run.Error}");
            var child = (await instances.ListAsync(new InstanceQuery(CorrelationId: Victim), ct)).FirstOrDefault();
            if (child is not null)
            {
                var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(child.Id, 0, 100_000, ct);
                if (journal.Any(e => e is { Kind: JournalKind.ActivityStarted, ActivityId: "waitConvergence" }))
                {
                    var pidFile = lab.Lab.Inventory.RuntimePaths(Victim, MigrationLab.Target).PidFile;
                    var pid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim());
                    output.WriteLine($"killing {Victim}'s target QEMU {pid} at {clock.Elapsed.TotalSeconds:0.0} s");
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                    return;
                }
            }
            await Task.Delay(100, ct);
        }
    }

    private static int MostAtOnce(IEnumerable<(string Vm, DateTimeOffset From, DateTimeOffset To)> spans)
    {
        // Ends sort before starts at the same instant: a migration that starts as another ends does not overlap it.
        var events = spans.SelectMany(s => new[] { (At: s.From, Delta: 1), (At: s.To, Delta: -1) }).OrderBy(e => e.At).ThenBy(e => e.Delta);
        int running = 0, most = 0;
        foreach (var e in events)
            most = Math.Max(most, running += e.Delta);
        return most;
    }

    // (runs on the source, runs on the target)
    private static async Task<(bool, bool)> RunsOnAsync(MigrationLab lab, string vmId, CancellationToken ct)
    {
        var qemu = new QemuVmManager(lab.Lab.Inventory);
        return ((await qemu.StatusAsync(MigrationLab.Source, vmId, ct)).ProcessAlive, (await qemu.StatusAsync(MigrationLab.Target, vmId, ct)).ProcessAlive);
    }
}
