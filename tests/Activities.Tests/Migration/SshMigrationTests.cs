using System.Diagnostics;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The shipped procedure against nodes the orchestrator reaches over SSH (a real sshd on loopback, key auth, host key
/// checked) with a <c>migrationAddress</c> of 127.0.0.1: QMP relayed through <c>ssh node socat</c>, the target QEMU
/// started by the node's executor, <c>zfs send | recv</c> and the unused-disk copy piped through ssh, NBD and the
/// migration stream over TCP. Real QEMU (TCG), real zfs-fuse, real runtime, a guest-like writer throughout.
/// </summary>
[Collection("zfs")]
public sealed class SshMigrationTests(ITestOutputHelper output)
{
    [Fact(Timeout = 420_000)]
    public async Task LiveMigrateJson_BetweenNodesReachedOverSsh_ShouldMigrateOverTcpWithIdenticalDisksAndCleanTheSource()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        TestTools.Require("socat", "ss", "ssh");
        await using var sshd = await SshdFixture.StartAsync(ct);
        await using var h = await MigrationHarness.CreateAsync(output, ct, SshLab(sshd, sourceOverSsh: true));
        Assert.All(h.Lab.Inventory.Nodes, n => Assert.Equal("ssh", n.Transport.Kind));
        var writer = await h.StartWriterAsync(ct);
        // The writer's (and the migration's) QMP connection to the source is relayed by ssh + socat.
        Assert.Contains(ProcessProbe.Find(h.SourcePaths.QmpSocket), p => p.Program == "socat");
        await Task.Delay(500, ct);

        var clock = Stopwatch.StartNew();
        // The source's copies of the local and unused disks are kept (renamed over ssh) to compare the target's with them.
        var (id, status) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json",
            w => MigrationHarness.SetInput(w, "cleanup", "keepSourceLocalDisks", "Boolean", true)), ct);
        clock.Stop();
        await writer.DisposeAsync();
        var journal = await h.JournalAsync(id, ct);
        output.WriteLine($"writer: {writer.Writes} writes, {writer.BytesWritten} bytes");

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted);
        Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);
        Assert.True(writer.Writes > 20, $"the writer wrote only {writer.Writes} times");

        // The journal shows where the disks and the RAM went: TCP to the target's migration address, ports from the range.
        var prepare = journal.Single(e => e.ActivityId == "prepareTarget" && e.Kind == JournalKind.Message);
        Assert.True(prepare.Data!["tcp"]!.GetValue<bool>(), prepare.Message);
        Assert.Matches(@"^tcp:127\.0\.0\.1:600\d\d$", prepare.Data["nbd"]!.GetValue<string>());
        Assert.Matches(@"^tcp:127\.0\.0\.1:600\d\d$", prepare.Data["migrationUri"]!.GetValue<string>());
        Assert.StartsWith($"ssh {Environment.UserName}@127.0.0.1:{sshd.Port}", prepare.Data["transport"]!.GetValue<string>());
        Assert.Contains(journal, e => e.ActivityId == "preflight" && e.Message?.Contains("migration tcp:127.0.0.1:600", StringComparison.Ordinal) == true);
        Assert.False(File.Exists(h.TargetPaths.NbdSocket), "an NBD UNIX socket was created although the endpoints are TCP");

        // The target QEMU was started through the node's executor: it carries the ssh session's environment.
        var targetPid = int.Parse((await File.ReadAllTextAsync(h.TargetPaths.PidFile, ct)).Trim());
        var environ = await File.ReadAllTextAsync($"/proc/{targetPid}/environ", ct);
        Assert.Contains("SSH_CONNECTION=127.0.0.1 ", environ);

        // No ssh relay of the migration is left (Cleanup released both monitors).
        Assert.Empty(await ProcessProbe.WaitGoneAsync(h.SourcePaths.QmpSocket, TimeSpan.FromSeconds(5), ct));
        Assert.DoesNotContain(await ProcessProbe.WaitGoneAsync($"UNIX-CONNECT:{h.TargetPaths.QmpSocket}", TimeSpan.FromSeconds(5), ct),
            p => p.Program is "ssh" or "socat");

        // The VM runs on the target only, reached over ssh; nothing listens on the migration ports any more.
        Assert.False(MigrationHarness.QemuAlive(h.SourcePaths.PidFile), "the source QEMU is still alive");
        Assert.True(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "the target QEMU is not alive");
        var target = await h.TargetSessionAsync(ct);
        Assert.Equal(RunState.Running, (await target.Client.QueryStatusAsync(ct)).Status);
        Assert.DoesNotContain(await target.Client.QueryNamedBlockNodesAsync(ct), n => n.DirtyBitmaps.Count > 0);
        Assert.Contains(ProcessProbe.Find(h.TargetPaths.QmpSocket), p => p.Program == "socat");
        var ports = await MigrationEndpoints.TcpPortsInUseAsync(h.Node(MigrationHarness.Target), ct, listenersOnly: true);
        Assert.DoesNotContain(PortOf(prepare.Data["nbd"]!.GetValue<string>()), ports);
        Assert.DoesNotContain(PortOf(prepare.Data["migrationUri"]!.GetValue<string>()), ports);

        for (var i = 0; i < 3; i++)
        {
            var (same, text) = await h.CompareAsync(i == 0 ? h.SourceDisk(i).Path : h.KeptSourcePath(i, id), h.TargetDisk(i).Path, ct);
            Assert.True(same, $"drive{i} differs: {text}");
        }
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        var sourceSnaps = await h.SnapshotsAsync(MigrationHarness.Source, h.SourceDisk(0).Dataset!, ct);
        var targetSnaps = await h.SnapshotsAsync(MigrationHarness.Target, h.TargetDisk(0).Dataset!, ct);
        Assert.Equal(sourceSnaps.Last(), targetSnaps.Last());
        var bitmap = journal.Single(e => e.ActivityId == "bitmapMirror" && e.Kind == JournalKind.Message);
        // Only the dirty blocks went over NBD (the writer keeps dirtying while ssh commands run, so "dirty" is the measure, not the disk).
        var dirty = bitmap.Data!["dirtyBytes"]!.GetValue<long>();
        Assert.InRange(bitmap.Data["bytesCopied"]!.GetValue<long>(), dirty, dirty + (1L << 20));
        Assert.True(dirty < MigrationHarness.ReplicatedSize / 2, bitmap.Message);
        var cleanup = journal.Single(e => e.ActivityId == "cleanup" && e.Kind == JournalKind.Message);
        Assert.Contains("source QEMU quit", cleanup.Message);

        var summary = journal.Single(e => e.ActivityId == "resumeTarget" && e.Message?.StartsWith("VM vm1 runs on", StringComparison.Ordinal) == true);
        output.WriteLine($"over SSH/TCP: workflow {clock.Elapsed.TotalSeconds:0.0} s; {summary.Message}; {prepare.Message}");
    }

    [Fact(Timeout = 420_000)]
    public async Task TargetQemuKilledMidCopy_OnATargetReachedOverSsh_ShouldRollBackToTheSourceAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        var ct = cts.Token;
        TestTools.Require("socat", "ss", "ssh");
        await using var sshd = await SshdFixture.StartAsync(ct);
        // Mixed site: the orchestrator runs on the source node, the target is another machine reached over SSH.
        await using var h = await MigrationHarness.CreateAsync(output, ct, SshLab(sshd, sourceOverSsh: false));
        await using var writer = await h.StartWriterAsync(ct);
        var json = MigrationHarness.WorkflowJson("live-migrate.json",
            w => MigrationHarness.SetInput(w, "driveMirror", "bandwidthBytesPerSecond", "Int64", 1L << 20));

        var run = h.RunAsync(json, ct);
        var source = await h.SourceSessionAsync(ct);
        var targetNode = h.Node(MigrationHarness.Target);
        var killed = false;
        while (!run.IsCompleted && !killed)
        {
            var waiting = await h.ActivityStartedAsync("waitConvergence", ct);
            var job = (await source.Client.QueryBlockJobsAsync(ct)).FirstOrDefault(j => j.Device == "mig-job-vd1");
            if (waiting && job is { Offset: > 0, Ready: false })
            {
                var pid = (await targetNode.RunAsync(new NodeCommand("cat", h.TargetPaths.PidFile), ct)).StandardOutput.Trim();
                output.WriteLine($"killing target QEMU {pid} over ssh at mirror offset {job.Offset}/{job.Length}");
                await targetNode.RunAsync(new NodeCommand("kill", "-KILL", pid), ct);
                killed = true;
            }
            else
            {
                await Task.Delay(50, ct);
            }
        }
        Assert.True(killed, "the workflow ended before the mirror started: nothing was killed");
        var (id, status) = await run;
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        var prepare = journal.Single(e => e.ActivityId == "prepareTarget" && e.Kind == JournalKind.Message);
        Assert.True(prepare.Data!["tcp"]!.GetValue<bool>(), prepare.Message);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("waitConvergence", fault.ActivityId);
        Assert.Contains("target QEMU on lab-b exited while the disks were being copied", fault.Message);
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "target QEMU on lab-b exited while the disks were being copied", ct);

        // The VM runs on the source on its own disks, with nothing of the migration left on it (a fresh session: the
        // rollback closed the migration's, handing the monitor back).
        source = await h.SourceSessionAsync(ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        var block = await source.Client.QueryBlockAsync(ct);
        Assert.Equal(h.SourceDisk(0).Path, block.Single(b => b.Device == "drive0").Inserted!.File);
        Assert.Equal(h.SourceDisk(1).Path, block.Single(b => b.Device == "drive1").Inserted!.File);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(nodes, n => n.DirtyBitmaps.Count > 0);
        Assert.DoesNotContain(nodes, n => n.NodeName.StartsWith("mig-", StringComparison.Ordinal));
        Assert.Empty(await source.Client.QueryBlockJobsAsync(ct));
        Assert.False((await source.Client.QueryMigrateAsync(ct)).Status is MigrationStatus.Active or MigrationStatus.PreSwitchover);

        // Nothing on the target, checked through its executor (over ssh): no QEMU, sockets, pid file, non-replicated volumes; the replica is kept.
        Assert.False(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "a target QEMU is still alive");
        foreach (var path in new[] { h.TargetPaths.QmpSocket, h.TargetPaths.PidFile, h.TargetPaths.NbdSocket, h.TargetPaths.MigrationSocket })
            Assert.False((await targetNode.TryRunAsync(new NodeCommand("test", "-e", path), ct)).Succeeded, $"{path} is left on the target");
        Assert.False(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(1).Dataset!, ct), "the local disk's target volume is left behind");
        Assert.False(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(2).Dataset!, ct), "the unused disk's target copy is left behind");
        Assert.True(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(0).Dataset!, ct), "the replica must be kept");
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        var ports = await MigrationEndpoints.TcpPortsInUseAsync(targetNode, ct, listenersOnly: true);
        Assert.DoesNotContain(PortOf(prepare.Data["nbd"]!.GetValue<string>()), ports);
        // No relay to the dead target's QMP socket survives the rollback.
        Assert.Empty(await ProcessProbe.WaitGoneAsync(h.TargetPaths.QmpSocket, TimeSpan.FromSeconds(5), ct));
    }

    /// <summary>
    /// The lab's target (and, with <paramref name="sourceOverSsh"/>, also its source) reached through the loopback sshd,
    /// with a migration address: the nodes look like other machines to every part of the product.
    /// </summary>
    private static LabOptions SshLab(SshdFixture sshd, bool sourceOverSsh) => new()
    {
        ConfigureNode = n => n.Name == MigrationHarness.Target || sourceOverSsh ? sshd.AsRemoteNode(n) : n,
    };

    private static int PortOf(string endpoint) => int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
}
