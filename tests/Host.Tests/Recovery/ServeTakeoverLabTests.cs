using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Tests.Cli;
using Elsa.Migration.Lab;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// Issue 15 on the real lab: two real <c>serve</c> processes (the built host) on one PostgreSQL database with short leases,
/// A as if on another machine (a host name of its own, the leader of its own process group); a live migration started
/// through A's REST API (real QEMU under TCG, real zfs-fuse) and A's whole process group SIGKILLed mid-migration. Host B,
/// which cannot see A's process, must take the instance over by itself once A's lease expired and
/// finish it by each step's recovery policy: WaitConvergence is re-run (the migration completes on the target),
/// LiveMigrate is compensated (Rollback: the VM stays on the source, the target is cleaned). The journal's host column
/// proves the hand-over: every entry before B's taken-over line is A's, every one after it is B's.
/// </summary>
[Collection("zfs")]
public sealed partial class ServeTakeoverLabTests(PostgreSqlServer server, ITestOutputHelper output) : IClassFixture<PostgreSqlServer>
{
    private const string VmId = "takeover1";

    /// <summary>Host A's host name (its own UTS namespace): B cannot see A's process, as with a host on another machine,
    /// so only A's lease expiry lets B take over (a dead host on B's own machine is taken at the next poll: TakeoverTests).</summary>
    private const string MachineA = "elsa-takeover-host-a";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    private static readonly Dictionary<string, string> ShortLeases = new()
    {
        ["Leases__Duration"] = "00:00:03",
        ["Leases__RenewInterval"] = "00:00:00.5",
        ["Leases__TakeoverPollInterval"] = "00:00:00.5",
    };

    [Fact(Timeout = 480_000)]
    public async Task HostKilledDuringWaitConvergence_TheOtherServeShouldTakeItOverAndFinishTheMigrationOnTheTarget()
    {
        // The local disk's full mirror throttled to 1 MiB/s: WaitConvergence (policy Rerun) waits ~30 s for the 32 MiB copy,
        // the mirror job running inside the source QEMU while no host watches it.
        await using var scene = await KillHostAMidMigrationAsync(CliMigrationRun.EditedWorkflow("driveMirror", "bandwidthBytesPerSecond", 1L << 20),
            (_, journal) => journal.Any(e => e is { Kind: JournalKind.Progress, ActivityId: "waitConvergence" } && e.Message == "mirroring") &&
                !journal.Any(e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "waitConvergence" }));

        Assert.Equal(WorkflowStatus.Finished, scene.Record.Status);
        var decision = Assert.Single(scene.Journal, e => e.Kind == JournalKind.ActivityRecovered);
        Assert.Equal("waitConvergence", decision.ActivityId);
        Assert.Equal("Rerun", decision.Data!["policy"]!.GetValue<string>());
        var after = scene.Journal.Where(e => e.Id > decision.Id).ToList();
        Assert.Contains(after, e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "waitConvergence" });
        Assert.Contains(after, e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "resumeTarget" });
        Assert.Contains(after, e => e is { Kind: JournalKind.ActivityCompleted, ActivityId: "cleanup" });
        Assert.DoesNotContain(after, e => e.Kind == JournalKind.ActivityFaulted || e.ActivityId == "rollback");
        Assert.All(scene.Ledger, e => Assert.True(e.ReleasedAt is not null, $"ledger entry {e.Kind} {e.Name} not released"));
        await MigrationLabChecks.AssertVmOnTargetOnlyAsync(scene.Lab, VmId, scene.InstanceId, scene.Cancellation);
    }

    [Fact(Timeout = 480_000)]
    public async Task HostKilledDuringLiveMigrate_TheOtherServeShouldTakeItOverAndRollTheVmBackToTheSource()
    {
        // The RAM migration throttled to 16 KiB/s: LiveMigrate (policy Compensate) runs for minutes with the disks mirrored,
        // the target QEMU waiting for the incoming migration and the migration active.
        await using var scene = await KillHostAMidMigrationAsync(CliMigrationRun.EditedWorkflow("liveMigrate", "maxBandwidthBytesPerSecond", 16 * 1024),
            (ledger, journal) => ledger.Any(e => e.Kind == "migration") && journal.Any(e => e is { Kind: JournalKind.Progress, ActivityId: "liveMigrate" }));

        Assert.Equal(WorkflowStatus.Faulted, scene.Record.Status);
        var decision = Assert.Single(scene.Journal, e => e.Kind == JournalKind.ActivityRecovered);
        Assert.Equal("liveMigrate", decision.ActivityId);
        Assert.Equal("Compensate", decision.Data!["policy"]!.GetValue<string>());
        Assert.DoesNotContain(scene.Journal, e => e.Id > decision.Id && e.ActivityId == "liveMigrate"); // never re-run
        var rollback = scene.Journal.Where(e => e.Id > decision.Id && e is { ActivityId: "rollback", Kind: JournalKind.Message }).Select(e => e.Message!).ToList();
        Assert.Contains(rollback, m => m.StartsWith("Rollback migration", StringComparison.Ordinal) && m.Contains("migrate_cancel", StringComparison.Ordinal));
        Assert.Contains(rollback, m => m.StartsWith("Rollback complete", StringComparison.Ordinal) && m.EndsWith($"runs on {MigrationLab.Source}", StringComparison.Ordinal));
        var outcome = Activities.Migration.MigrationOutcome.Decide(scene.Record.Status, scene.Record.Error, scene.Journal, scene.Ledger);
        Assert.Equal(Activities.Migration.MigrationOutcomes.RolledBack, outcome?.Name);
        foreach (var kind in new[] { "dirty-bitmap", "target-qemu", "target-volume", "nbd-client", "block-job", "migration" })
            Assert.Contains(scene.Ledger, e => e.Kind == kind);
        Assert.All(scene.Ledger, e => Assert.True(e.ReleasedAt is not null, $"ledger entry {e.Kind} {e.Name} not released"));
        await MigrationLabChecks.AssertVmOnSourceOnlyAsync(scene.Lab, VmId, scene.Cancellation);
    }

    /// <summary>
    /// Lab, database, both hosts; starts the migration through A's API, SIGKILLs A's process group when
    /// <paramref name="due"/> holds, waits for the instance to end, and asserts what both scenarios share: B took it over
    /// within the lease expiry plus 5 s of the kill, and the host column splits the journal at B's taken-over line.
    /// </summary>
    private async Task<Scene> KillHostAMidMigrationAsync(string workflowJson, Func<IReadOnlyList<LedgerEntry>, IReadOnlyList<JournalEntry>, bool> due)
    {
        var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(7));
        var ct = cancellation.Token;
        var db = await server.CreateDatabaseAsync();
        var cleanup = new Teardown();
        cleanup.Push(async () => await server.DropDatabaseAsync(db));
        cleanup.Push(() => { cancellation.Dispose(); return ValueTask.CompletedTask; });
        try
        {
            var lab = await CliMigrationRun.CreateLabAsync(VmId, dirtyBytes: 2L << 20, ct);
            cleanup.Push(lab.DisposeAsync);
            var work = Directory.CreateDirectory(Path.Combine("/tmp", "elsa-takeover-" + Guid.NewGuid().ToString("N")[..8])).FullName;
            cleanup.Push(() => { Directory.Delete(work, recursive: true); return ValueTask.CompletedTask; });
            var workflow = Path.Combine(work, "live-migrate-edited.json");
            await File.WriteAllTextAsync(workflow, workflowJson, ct);
            await CliMigrationRun.ImportSiteAsync(lab, db);
            await CliAsync(db, "import", workflow, "--db", db);
            var token = (await CliAsync(db, "token", "add", "takeover-lab", "--db", db)).Trim();
            var store = CliMigrationRun.EngineStores(db);
            cleanup.Push(store.DisposeAsync);

            var hostA = CliProcess.StartAsOtherMachine(MachineA, db, ShortLeases, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
            cleanup.Push(() => StopAsync("A", hostA));
            using var clientA = await ConnectAsync(hostA, token, ct);
            var hostB = CliProcess.Start(db, ShortLeases, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
            cleanup.Push(() => StopAsync("B", hostB));
            using var clientB = await ConnectAsync(hostB, token, ct);

            using var started = await clientA.PostAsJsonAsync("/api/migrations", new
            {
                definitionId = "live-migrate",
                inputs = new JsonObject
                {
                    ["VmId"] = VmId, ["SourceNode"] = MigrationLab.Source, ["TargetNode"] = MigrationLab.Target, ["Site"] = MigrationLab.SiteName,
                    ["KeepSourceLocalDisks"] = true, // the source copy of the local disk stays (renamed), to compare with the target's
                },
            }, ct);
            Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"start: {started.StatusCode} {await started.Content.ReadAsStringAsync(ct)}");
            var instanceId = (await started.Content.ReadFromJsonAsync<JsonObject>(ct))!["instanceId"]!.GetValue<string>();
            Assert.Equal(instanceId, await CliMigrationRun.WaitUntilAsync(output, store, db, hostA, due, ct));

            var killedAt = DateTimeOffset.UtcNow;
            await hostA.CrashProcessGroupAsync();
            await hostA.WaitForExitAsync(TimeSpan.FromSeconds(30));
            var leaseA = (await store.GetRequiredService<IInstanceLeaseStore>().GetAsync(instanceId, ct))!; // A's last renewal
            var record = await WaitForEndAsync(store, instanceId, ct);
            var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);
            var ledger = await store.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct);
            // A clean stop of B before the tests ask the nodes: after a rollback B keeps its session on the source's QMP
            // monitor (the VM stays there), and a QEMU monitor serves one client at a time.
            await hostB.InterruptAsync();
            await hostB.WaitForExitAsync(TimeSpan.FromSeconds(60));

            var takeover = Assert.Single(journal, e => e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);
            var toTakeover = takeover.At - killedAt;
            var toEnd = (record.FinishedAt ?? record.UpdatedAt) - killedAt;
            output.WriteLine($"kill -> taken over by B: {toTakeover.TotalSeconds:0.00} s ({(takeover.At - leaseA.ExpiresAt!.Value).TotalSeconds:0.00} s after A's " +
                             $"lease expired); kill -> {record.Status}: {toEnd.TotalSeconds:0.00} s (lease {LeaseDuration.TotalSeconds} s, renewal and poll 0.5 s)");
            output.WriteLine(takeover.ToString());
            Assert.True(takeover.At >= leaseA.ExpiresAt, $"B took the instance over {(leaseA.ExpiresAt!.Value - takeover.At).TotalSeconds:0.00} s before A's lease expired");
            Assert.True(toTakeover <= LeaseDuration + TimeSpan.FromSeconds(5), $"B took the instance over {toTakeover.TotalSeconds:0.00} s after the kill");

            // The host column: A wrote everything up to the kill, B everything from its taken-over line on.
            var idA = journal[0].Host;
            var idB = takeover.Host;
            Assert.StartsWith($"{MachineA}-{hostA.Id}-", idA);
            Assert.StartsWith($"{Environment.MachineName}-{hostB.Id}-", idB);
            Assert.Equal(idB, takeover.Data!["host"]!.GetValue<string>());
            Assert.Contains($"the lease of {MachineA} pid {hostA.Id} ({idA}) expired", takeover.Message);
            Assert.DoesNotContain(journal, e => e.Id > takeover.Id && e.Host == idA);
            Assert.DoesNotContain(journal, e => e.Id < takeover.Id && e.Host == idB);
            Assert.All(journal, e => Assert.True(e.Host == (e.Id < takeover.Id ? idA : idB), $"{e} written by {e.Host}"));
            output.WriteLine($"journal: {journal.Count(e => e.Host == idA)} entries by A ({idA}), {journal.Count(e => e.Host == idB)} by B ({idB})");

            return new Scene(lab, instanceId, record, journal, ledger, ct, cleanup);
        }
        catch
        {
            await cleanup.DisposeAsync();
            throw;
        }
    }

    /// <summary>What a scenario left for its test's own assertions; disposing it cleans up (<see cref="Teardown"/>).</summary>
    private sealed record Scene(MigrationLab Lab, string InstanceId, WorkflowInstanceRecord Record, IReadOnlyList<JournalEntry> Journal,
        IReadOnlyList<LedgerEntry> Ledger, CancellationToken Cancellation, Teardown Cleanup) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Cleanup.DisposeAsync();
    }

    /// <summary>Stops the hosts, removes the lab, the work folder and the database: the reverse order of their creation,
    /// each step whatever the one before did.</summary>
    private sealed class Teardown : IAsyncDisposable
    {
        private readonly Stack<Func<ValueTask>> _steps = new();

        public void Push(Func<ValueTask> step) => _steps.Push(step);

        public async ValueTask DisposeAsync()
        {
            var errors = new List<Exception>();
            while (_steps.TryPop(out var step))
            {
                try
                {
                    await step();
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            }
            if (errors.Count > 0)
                throw new AggregateException("Cleaning up after the takeover test failed", errors);
        }
    }

    private static async Task<string> CliAsync(string db, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync(db, arguments);
        Assert.True(exitCode == 0, $"{string.Join(' ', arguments.Take(2))} exited {exitCode}:\n{stdout}\n{stderr}");
        return stdout;
    }

    private static async Task<HttpClient> ConnectAsync(CliProcess serve, string token, CancellationToken ct)
    {
        await serve.WaitForOutputAsync("Now listening on: ", TimeSpan.FromSeconds(90));
        var client = new HttpClient { BaseAddress = new Uri(ListeningOn().Match(serve.Output).Groups[1].Value), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/migrations", ct)).StatusCode);
        return client;
    }

    private static async Task<WorkflowInstanceRecord> WaitForEndAsync(ServiceProvider store, string instanceId, CancellationToken ct)
    {
        var instances = store.GetRequiredService<IWorkflowInstanceStore>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(4))
        {
            if (await instances.GetAsync(instanceId, ct) is { Status: not WorkflowStatus.Running } record)
                return record;
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"Instance {instanceId} was still Running 4 minutes after host A was killed.");
    }

    /// <summary>Ends a host (a no-op for A, already killed) and prints what it wrote.</summary>
    private ValueTask StopAsync(string name, CliProcess host)
    {
        var pid = host.Id;
        host.Dispose();
        output.WriteLine($"---- host {name} (pid {pid}) ----\n{host.Output}\n{host.Error}");
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
