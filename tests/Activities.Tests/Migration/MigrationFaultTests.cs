using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Nodes;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Migration.Steps;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Faults during a real migration (real QEMU, real zfs-fuse, real runtime, writer running): each must end with the VM
/// running on the source on its own disk, nothing the migration created left on either node, and a journal entry
/// saying what failed.
/// </summary>
[Collection("zfs")]
public sealed class MigrationFaultTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task TargetQemuKilledMidCopy_ShouldRollBackToTheSourceAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        // A guest-agent socket and a serial log: files the target QEMU creates and leaves behind when it is killed.
        await using var h = await MigrationHarness.CreateAsync(output, ct, configureQemu: q => q with { GuestAgent = true, SerialLog = true });
        await using var writer = await h.StartWriterAsync(ct);
        // A site that throttles its full copies: 1 MiB/s keeps the local disk's mirror busy long enough to kill the target mid-copy.
        var json = MigrationHarness.WorkflowJson("live-migrate.json",
            w => MigrationHarness.SetInput(w, "driveMirror", "bandwidthBytesPerSecond", "Int64", 1L << 20));

        var run = h.RunAsync(json, ct);
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        var killed = false;
        while (!run.IsCompleted && !killed)
        {
            // Kill while WaitConvergence waits for the mirror: the copy is under way and its end must be noticed from events.
            var waiting = await h.ActivityStartedAsync("waitConvergence", ct);
            var job = (await source.Client.QueryBlockJobsAsync(ct)).FirstOrDefault(j => j.Device == "mig-job-vd1");
            if (waiting && job is { Offset: > 0, Ready: false })
            {
                var pid = int.Parse(await File.ReadAllTextAsync(h.TargetPaths.PidFile, ct));
                Assert.True(File.Exists(h.TargetPaths.GuestAgentSocket), "the target QEMU made no guest-agent socket: the directory check below would prove less");
                output.WriteLine($"killing target QEMU {pid} at mirror offset {job.Offset}/{job.Length}; target dir holds {string.Join(", ", VmFilesInTargetDir(h))}");
                await h.Local.RunAsync(new NodeCommand("kill", "-KILL", pid.ToString()), ct);
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
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("waitConvergence", fault.ActivityId);
        Assert.Contains("target QEMU on lab-b exited while the disks were being copied", fault.Message);
        await AssertRolledBackAsync(h, id, journal, ct);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "target QEMU on lab-b exited while the disks were being copied", ct);
        Assert.True(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(0).Dataset!, ct), "the replica must be kept");
    }

    [Fact(Timeout = 300_000)]
    public async Task DivergedReplica_ShouldBeRefusedBeforeAnySend_RemoveTheBitmapsRollBackAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        await using var writer = await h.StartWriterAsync(ct);
        var replica = h.TargetDisk(0).Dataset!;
        var targetSnapsBefore = await h.SnapshotsAsync(MigrationHarness.Target, replica, ct);
        var sourceSnapsBefore = await h.SnapshotsAsync(MigrationHarness.Source, h.SourceDisk(0).Dataset!, ct);

        // After planning, the replica diverges (same snapshot names, other guids): zfs recv -F refuses the stream.
        var json = MigrationHarness.WorkflowJson("live-migrate.json", w => MigrationHarness.Insert(w, "addDirtyBitmap", "zfsReplicate",
            new JsonObject { ["id"] = "divergeReplica", ["type"] = "Test.DivergeReplica" }));
        var (id, status) = await h.RunAsync(json, ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("zfsReplicate", fault.ActivityId);
        Assert.Contains("shares no snapshot (name and guid)", fault.Message);
        Assert.Contains("a full one would overwrite it", fault.Message);
        Assert.Contains("ZFS replication of VM vm1", fault.Message);
        Assert.DoesNotContain(journal, e => e.ActivityId == "prepareTarget");
        await AssertRolledBackAsync(h, id, journal, ct);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "'zfsReplicate' (VmMigration.ZfsReplicate) failed: ", ct);
        Assert.Equal(sourceSnapsBefore, await h.SnapshotsAsync(MigrationHarness.Source, h.SourceDisk(0).Dataset!, ct));
        Assert.Equal(targetSnapsBefore, await h.SnapshotsAsync(MigrationHarness.Target, replica, ct));
    }

    /// <summary>
    /// The replica may not grow (quota), so the incremental stream does not fit: <c>zfs recv</c> fails with "out of space"
    /// while zfs-fuse's daemon is still writing the send stream. The rollback must not wait for that stream (a pipe end
    /// left open kept the snapshot busy and its destroy hung for minutes), and nothing of the send may stay open.
    /// </summary>
    [Fact(Timeout = 240_000)]
    public async Task FailingZfsReceive_WhenTheTargetRunsOutOfSpace_ShouldRollBackWithinSecondsAndLeaveNoSendOpen()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = cts.Token;
        var h = await MigrationHarness.CreateAsync(output, ct);
        try
        {
            await using var writer = await h.StartWriterAsync(ct);
            var dataset = h.SourceDisk(0).Dataset!;
            var replica = h.TargetDisk(0).Dataset!;
            var sourceSnapsBefore = await h.SnapshotsAsync(MigrationHarness.Source, dataset, ct);
            // The 2 MiB written since the replica's snapshot, and the writer's blocks, must not fit.
            var target = h.Lab.Zfs(MigrationHarness.Target);
            await target.SetPropertyAsync(replica, "quota", await target.GetPropertyAsync(replica, "used", ct), ct);
            var pipesBefore = PipeProbe.CountOpenPipes();

            var (id, status) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json", MigrationHarness.PlanWithGetDiskInfo), ct);
            var journal = await h.JournalAsync(id, ct);

            var pipesAfter = PipeProbe.CountOpenPipes();
            var fault = OutcomeAssert.SingleFailure(journal);
            var rollbackTime = journal.Where(e => e.ActivityId == "rollback").Max(e => e.At) - fault.At;
            output.WriteLine($"from the ZfsReplicate fault to the end of Rollback: {rollbackTime.TotalMilliseconds:0} ms; " +
                $"pipes open in this process before the run {pipesBefore}, after {pipesAfter}");
            Assert.Equal(WorkflowStatus.Faulted, status);
            Assert.Equal("zfsReplicate", fault.ActivityId);
            Assert.Contains("zfs recv", fault.Message);
            Assert.Contains("out of space", fault.Message);
            await OutcomeAssert.RolledBackAsync(h, id, journal, "out of space", ct);
            Assert.True(rollbackTime < TimeSpan.FromSeconds(20), $"the rollback took {rollbackTime} after the failed receive");
            Assert.Empty(LeftOpen.ZfsSends(dataset));
            Assert.Empty(LeftOpen.PipesSharedWithZfsDaemon());
            Assert.True(pipesAfter <= pipesBefore, $"{pipesAfter - pipesBefore} more pipes open in this process after the run");
            Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.Contains("never reached the target", StringComparison.Ordinal) == true);
            Assert.Equal(sourceSnapsBefore, await h.SnapshotsAsync(MigrationHarness.Source, dataset, ct));
            await AssertRolledBackAsync(h, id, journal, ct);
        }
        finally
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await h.DisposeAsync();
            output.WriteLine($"lab teardown (zpool destroy of both pools, the quota still set): {clock.ElapsedMilliseconds} ms");
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task TargetQemuKilledAtSwitchover_WhileTheSourceIsPaused_ShouldResumeTheVmOnTheSource()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        await using var writer = await h.StartWriterAsync(ct);
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        var killedAt = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The worst moment: the source vCPUs are stopped at pre-switchover and the disks are being finished.
        using var trap = source.Client.Subscribe(e =>
        {
            if (e is not MigrationEvent { Status: MigrationStatus.PreSwitchover } || killedAt.Task.IsCompleted) return;
            var pid = int.Parse(File.ReadAllText(h.TargetPaths.PidFile).Trim());
            System.Diagnostics.Process.GetProcessById(pid).Kill();
            killedAt.TrySetResult($"killed target QEMU {pid} at pre-switchover");
        });

        var (id, status) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json"), ct);
        var journal = await h.JournalAsync(id, ct);
        output.WriteLine(killedAt.Task.IsCompleted ? await killedAt.Task : "never reached pre-switchover");

        Assert.True(killedAt.Task.IsCompleted, "the migration never reached pre-switchover");
        Assert.Equal(WorkflowStatus.Faulted, status);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.True(fault.ActivityId is "completeMirror" or "resumeTarget", $"unexpected fault in {fault.ActivityId}: {fault.Message}");
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.Contains("migrate_cancel", StringComparison.Ordinal) == true);
        await AssertRolledBackAsync(h, id, journal, ct);
        await OutcomeAssert.RolledBackAsync(h, id, journal, fault.Message!, ct);

        // Safe twice: replay Rollback over the whole ledger marked unreleased (a host that died mid-rollback finds it so).
        var record = await h.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(id, ct);
        var replay = new LedgerReplayContext(new Rollback { Id = "rollback-again", Type = "VmMigration.Rollback" }, h.Services,
            await h.LedgerAsync(id, ct), record!.Variables, ct);
        await replay.Activity.ExecuteAsync(replay);
        foreach (var line in replay.Journal) output.WriteLine("replay: " + line);
        Assert.Contains(replay.Journal, l => l.StartsWith("Rollback complete", StringComparison.Ordinal));
        Assert.All(replay.Ledger, e => Assert.NotNull(e.ReleasedAt));
        await AssertRolledBackAsync(h, id, journal, ct);
    }

    [Fact(Timeout = 300_000)]
    public async Task BitmapMirrorStrategyNative_OnStockQemu_ShouldRefuseInsteadOfCopyingTheWholeDiskAndRollBack()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        var json = MigrationHarness.WorkflowJson("live-migrate.json",
            w => MigrationHarness.SetInput(w, "bitmapMirror", "strategy", "String", "Native"));

        var (id, status) = await h.RunAsync(json, ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("bitmapMirror", fault.ActivityId);
        Assert.Contains("Strategy Native needs a QEMU whose blockdev-mirror takes a bitmap", fault.Message);
        Assert.DoesNotContain(journal, e => e.ActivityId == "bitmapMirror" && e.Kind == JournalKind.Message);
        await AssertRolledBackAsync(h, id, journal, ct);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "Strategy Native needs a QEMU whose blockdev-mirror takes a bitmap", ct);
    }

    /// <summary>The VM's files in the target's socket directory (QMP, guest agent, pid file, serial log, NBD, migration...).</summary>
    private static IReadOnlyList<string> VmFilesInTargetDir(MigrationHarness h) =>
        Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(h.TargetPaths.QmpSocket)!, MigrationHarness.VmId + ".*").Select(Path.GetFileName).OfType<string>().ToList();

    /// <summary>The VM runs on the source on its own disks; no bitmap, job or NBD node on the source; no QEMU or non-replicated volume on the target; the ledger is empty.</summary>
    private static async Task AssertRolledBackAsync(MigrationHarness h, string instanceId, IReadOnlyList<JournalEntry> journal, CancellationToken ct)
    {
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        // The monitor is the operator's again: QEMU greets one client at a time, so a session the migration kept would make this time out.
        await using (var operatorClient = await QmpClient.ConnectAsync(h.SourcePaths.QmpSocket, new QmpClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5) }, cancellationToken: ct))
            Assert.Equal(RunState.Running, (await operatorClient.QueryStatusAsync(ct)).Status);
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        var block = await source.Client.QueryBlockAsync(ct);
        Assert.Equal(h.SourceDisk(0).Path, block.Single(b => b.Device == "drive0").Inserted!.File);
        Assert.Equal(h.SourceDisk(1).Path, block.Single(b => b.Device == "drive1").Inserted!.File);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(nodes, n => n.DirtyBitmaps.Count > 0);
        Assert.DoesNotContain(nodes, n => n.NodeName.StartsWith("mig-", StringComparison.Ordinal));
        Assert.Empty(await source.Client.QueryBlockJobsAsync(ct));
        Assert.False((await source.Client.QueryMigrateAsync(ct)).Status is MigrationStatus.Active or MigrationStatus.PreSwitchover);

        Assert.False(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "a target QEMU is still alive");
        Assert.False(File.Exists(h.TargetPaths.QmpSocket), "the target QMP socket is left behind");
        Assert.False(File.Exists(h.TargetPaths.NbdSocket), "the target NBD socket is left behind");
        Assert.Empty(VmFilesInTargetDir(h));
        Assert.False(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(1).Dataset!, ct), "the local disk's target volume is left behind");
        Assert.False(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(2).Dataset!, ct), "the unused disk's target copy is left behind");
        Assert.All(await h.LedgerAsync(instanceId, ct), e => Assert.NotNull(e.ReleasedAt));
    }
}
