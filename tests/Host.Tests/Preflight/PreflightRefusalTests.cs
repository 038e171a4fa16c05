using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Host.Tests.Cli;
using Elsa.Migration.Host.Tests.Recovery;
using Elsa.Migration.Lab;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Preflight;

/// <summary>
/// Preflight refuses what it can know before touching anything, on the real lab (zfs-fuse, QEMU under TCG, a real
/// sshd) through the built CLI: <c>plan</c> exits 1 with the refusal, <c>run</c> of the shipped procedure exits 1 with
/// outcome Refused (never RolledBack), its ledger is empty, and both nodes are as they were (datasets, snapshots,
/// socket directories, the source QEMU's QMP state).
/// </summary>
[Collection("zfs")]
public sealed class PreflightRefusalTests(ITestOutputHelper output)
{
    private const string VmId = "pref1";

    [Fact(Timeout = 300_000)]
    public Task A_target_replica_whose_quota_is_smaller_than_the_stream_is_refused() => RefusedAsync("target-space", "Disk vd0: lab-b:", async (lab, ct) =>
    {
        var replica = lab.Disk(VmId, 0, MigrationLab.Target).Dataset!;
        var used = long.Parse((await lab.Local.RunAsync(new NodeCommand("zfs", "get", "-H", "-p", "-o", "value", "used", replica), ct)).StandardOutput.Trim());
        await lab.Local.RunAsync(new NodeCommand("zfs", "set", $"quota={used + (2L << 20)}", replica), ct);
    }, dirtyBytes: 8L << 20);

    [Fact(Timeout = 300_000)]
    public Task A_target_dataset_that_exists_already_is_refused() => RefusedAsync("target-exists", "Disk vd1: the target dataset", (lab, ct) =>
        lab.Local.RunAsync(new NodeCommand("zfs", "create", lab.Disk(VmId, 1, MigrationLab.Target).Dataset!), ct));

    [Fact(Timeout = 300_000)]
    public Task A_replica_without_a_common_snapshot_is_refused() => RefusedAsync("common-snapshot", "shares no snapshot (name and guid)", (lab, ct) =>
        lab.Local.RunAsync(new NodeCommand("zfs", "destroy", lab.Disk(VmId, 0, MigrationLab.Target).Dataset! + "@repl-0"), ct));

    [Fact(Timeout = 300_000)]
    public Task A_stopped_source_vm_is_refused() => RefusedAsync("source-vm", $"VM {VmId} does not run on lab-a", async (lab, ct) =>
        Assert.True(await lab.Lab.StopVmAsync(VmId, MigrationLab.Source, ct)));

    [Fact(Timeout = 360_000)]
    public async Task An_unreachable_target_is_refused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        // sshd comes back before the lab is torn down: the teardown must reach the node to stop what runs there.
        await RefusedAsync("reach", "Could not ask node 'lab-b' (ssh ", (_, _) => sshd.StopAsync(), sshd: sshd,
            repair: () => sshd.RestartAsync(cts.Token));
    }

    [Fact(Timeout = 360_000)]
    public async Task A_target_without_socat_is_refused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        // The target's sshd gives its sessions a PATH with every program of this machine but socat.
        var bin = TestTools.CreateTempDir("elsa-nosocat");
        try
        {
            foreach (var dir in new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Where(Directory.Exists))
                foreach (var program in Directory.GetFiles(dir))
                    if (Path.GetFileName(program) != "socat" && !File.Exists(Path.Combine(bin, Path.GetFileName(program))))
                        File.CreateSymbolicLink(Path.Combine(bin, Path.GetFileName(program)), program);
            await using var sshd = await SshdFixture.StartAsync(cts.Token, $"SetEnv PATH={bin}");
            await RefusedAsync("tools", "Node lab-b (ssh ", (_, _) => Task.CompletedTask, sshd: sshd, alsoExpected: "lacks socat in its PATH");
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    /// <summary>A lab VM (64 MiB replicated disk with its replica on the target, 32 MiB local disk) running on the source;
    /// <paramref name="breakIt"/> makes the migration impossible; then <c>plan</c> and <c>run</c> must both refuse it.</summary>
    private async Task RefusedAsync(string check, string expected, Func<MigrationLab, CancellationToken, Task> breakIt,
        long dirtyBytes = 1L << 20, SshdFixture? sshd = null, string? alsoExpected = null, Func<Task>? repair = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var lab = await CreateLabAsync(dirtyBytes, sshd, ct);
        try
        {
            await AssertRefusedAsync(lab, check, expected, breakIt, alsoExpected, ct);
        }
        finally
        {
            if (repair is not null) await repair();
        }
    }

    private async Task AssertRefusedAsync(MigrationLab lab, string check, string expected, Func<MigrationLab, CancellationToken, Task> breakIt,
        string? alsoExpected, CancellationToken ct)
    {
        var db = Path.Combine(lab.Lab.Directory, "cli.db");
        await CliMigrationRun.ImportSiteAsync(lab, db);
        await breakIt(lab, ct);
        var before = await LabState.CaptureAsync(lab, VmId, ct);

        var clock = Stopwatch.StartNew();
        var (planExit, planOutput, planError) = await CliProcess.RunAsync(db, "--db", db, "plan", "--site", MigrationLab.SiteName, "--vm", VmId,
            "--to", MigrationLab.Target, "--from", MigrationLab.Source, "--json");
        output.WriteLine($"plan exit {planExit} in {clock.ElapsedMilliseconds} ms:\n{planOutput}\n{planError}");
        Assert.Equal(1, planExit);
        var report = JsonNode.Parse(planOutput)!;
        Assert.False(report["canRun"]!.GetValue<bool>());
        var refusal = report["refusals"]!.AsArray().FirstOrDefault(r => r!["check"]!.GetValue<string>() == check);
        Assert.True(refusal is not null, $"no '{check}' refusal in {report["refusals"]!.ToJsonString()}");
        Assert.Contains(expected, refusal["message"]!.GetValue<string>());
        if (alsoExpected is not null) Assert.Contains(alsoExpected, refusal["message"]!.GetValue<string>());
        Assert.Null(report["estimate"]);
        Assert.Equal(before, await LabState.CaptureAsync(lab, VmId, ct));

        using var run = await CliMigrationRun.StartAsync(lab, MigrationLab.FindRepositoryFile("workflows/live-migrate.json"), db, VmId);
        var runExit = await run.WaitForExitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine($"run exit {runExit}:\n{run.Output}\n{run.Error}");
        Assert.Equal(1, runExit);
        var outcome = run.Output.Split('\n').Single(l => l.StartsWith("Outcome ", StringComparison.Ordinal));
        Assert.StartsWith($"Outcome Refused: {check}: ", outcome);
        Assert.Contains(expected, outcome);

        await using var store = CliMigrationRun.EngineStores(db);
        var instance = Assert.Single(await store.GetRequiredService<IWorkflowInstanceStore>().ListAsync(new InstanceQuery(), ct));
        Assert.Equal(WorkflowStatus.Faulted, instance.Status);
        Assert.Empty(await store.GetRequiredService<ILedgerStore>().ListAsync(instance.Id, ct));
        var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instance.Id, 0, 10_000, ct);
        Assert.DoesNotContain(journal, e => e.ActivityType == MigrationOutcome.RollbackType);
        Assert.Contains(journal, e => e is { ActivityId: "preflight", Kind: JournalKind.ActivityCompleted, Outcome: "Refused" });
        Assert.Equal(before, await LabState.CaptureAsync(lab, VmId, ct));
    }

    /// <summary>The lab, the target reached through <paramref name="sshd"/> when given; <paramref name="dirtyBytes"/> written since the replica.</summary>
    internal static async Task<MigrationLab> CreateLabAsync(long dirtyBytes, SshdFixture? sshd, CancellationToken ct)
    {
        var lab = await MigrationLab.CreateAsync(new MigrationLabOptions
        {
            Lab = new LabOptions
            {
                PoolSizeBytes = 512L << 20,
                ConfigureNode = sshd is null ? null : n => n.Name == MigrationLab.Target ? sshd.AsRemoteNode(n) : n,
            },
        }, ct);
        try
        {
            await lab.CreateVmAsync(VmId, [(DiskKind.Replicated, 64L << 20), (DiskKind.Local, 32L << 20)], ct);
            await lab.DirtyAsync(VmId, 0, dirtyBytes, ct);
            await lab.WaitForSnapshotSpaceAsync(VmId, 0, dirtyBytes, ct);
            await lab.StartVmAsync(VmId, ct);
            await lab.Pool.DropAsync(lab.Lab.Inventory.RuntimePaths(VmId, MigrationLab.Source).QmpSocket);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }
}
