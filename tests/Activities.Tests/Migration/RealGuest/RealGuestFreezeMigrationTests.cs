using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// live-migrate-freeze-verify.json (live-migrate-freeze.json in Agent mode plus VerifyDisks) on the real guest (real qemu-ga, real ext4, writer fsync'ing numbered blocks
/// the whole time), real QEMU under TCG, real zfs-fuse, with VerifyDisks (Full) between CompleteMirror and ResumeTarget.
/// </summary>
[Collection("zfs")]
public sealed class RealGuestFreezeMigrationTests(ITestOutputHelper output)
{
    [Fact(Timeout = 420_000)]
    public async Task LiveMigrateFreezeJson_InAgentMode_ShouldKeepTheGuestWritingOnTheTargetWithIdenticalDisksAtThePauseAndACleanSnapshot()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6.5));
        var ct = cts.Token;
        await using var h = await RealGuestHarness.CreateAsync(output, ct);
        var sourceConsole = h.Console(RealGuestHarness.Source);
        var beforeMigration = await sourceConsole.WaitForNewHeartbeatsAsync(2, TimeSpan.FromSeconds(30), ct);

        var (id, status) = await h.RunAsync(RealGuestHarness.FreezeWorkflow(verify: true), ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted);
        Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);

        // The freeze went through the real agent and ended in ThawGuest, not by the watchdog.
        Assert.Contains("Agent", journal.Single(e => e.ActivityId == "freezeGuest" && e.Kind == JournalKind.Message).Message);
        var thaw = journal.Single(e => e.ActivityId == "thawGuest" && e.Kind == JournalKind.Message).Data!;
        Assert.False(thaw["thawedByWatchdog"]!.GetValue<bool>());
        var freezeWindowMs = thaw["freezeWindowMs"]!.GetValue<double>();

        // VerifyDisks compared every byte of both copied disks while both sides were paused: identical.
        var verify = journal.Single(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.Message).Data!;
        Assert.True(verify["identical"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.Equal(RealGuestHarness.ReplicatedSize + RealGuestHarness.LocalSize, verify["bytesCompared"]!.GetValue<long>());
        var verifyMs = verify["downtimeCostMs"]!.GetValue<double>();

        // Downtime two ways; the guest's real pause contains the verification.
        var resumed = journal.Single(e => e.ActivityId == "resumeTarget" && e.Data?["guestPauseMs"] is not null).Data!;
        var qemuDowntime = resumed["downtimeMs"]!.GetValue<long>();
        var guestPause = resumed["guestPauseMs"]!.GetValue<double>();
        Assert.True(guestPause >= verifyMs, $"guest pause {guestPause} ms must contain VerifyDisks' {verifyMs} ms");
        Assert.True(qemuDowntime > 0);

        // The guest lives on: its heartbeat continues in the target's serial log, uptime continuous, sequence rising.
        var lastOnSource = sourceConsole.ReadLatest()!;
        var targetConsole = h.Console(RealGuestHarness.Target);
        var firstOnTarget = await targetConsole.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(30), ct);
        Assert.InRange(firstOnTarget.UptimeSeconds, lastOnSource.UptimeSeconds, lastOnSource.UptimeSeconds + 120);
        Assert.True(firstOnTarget.Sequence >= lastOnSource.Sequence, $"target seq {firstOnTarget.Sequence} < source seq {lastOnSource.Sequence}");
        var later = await targetConsole.WaitForSequenceAboveAsync(firstOnTarget.Sequence + 10, TimeSpan.FromSeconds(60), ct);
        Assert.True(lastOnSource.Sequence > beforeMigration.Sequence, "the guest wrote during the migration");

        // The agent answers on the target's socket.
        await using (var agent = GuestAgentClient.ForUnixSocket(h.TargetPaths.GuestAgentSocket))
        {
            await agent.SyncAsync(ct);
            await agent.PingAsync(cancellationToken: ct);
            Assert.Equal(GuestFsFreezeStatus.Thawed, await agent.GetFreezeStatusAsync(cancellationToken: ct));
        }

        // The replicated disk's snapshot taken inside the freeze holds a clean ext4.
        var snapshot = journal.Single(e => e.ActivityId == "zfsSnapshot" && e.Data?["snapshot"] is not null).Data!["snapshot"]!.GetValue<string>();
        var fsck = await FsckSnapshotAsync(h, h.SourceDisk(0).Dataset!, snapshot, ct);
        Assert.True(fsck.ExitCode == 0, $"e2fsck -fn of {snapshot} exited {fsck.ExitCode}:\n{fsck.Output}");

        output.WriteLine($"boot {h.BootTime.TotalSeconds:0.0} s; freeze window {freezeWindowMs:0} ms; QEMU downtime {qemuDowntime} ms; " +
            $"guest pause {guestPause:0.0} ms (VerifyDisks {verifyMs:0} ms of it); seq {beforeMigration.Sequence} before, " +
            $"{lastOnSource.Sequence} last on source, {firstOnTarget.Sequence} first on target, {later.Sequence} later");
    }

    /// <summary>Clones the snapshot, copies its disk file to a temp path, drops the clone, runs <c>e2fsck -fn</c> on the copy.</summary>
    internal static async Task<(int ExitCode, string Output)> FsckSnapshotAsync(RealGuestHarness h, string dataset, string snapshot, CancellationToken ct)
    {
        var clone = dataset + "-fsck";
        var dir = TestTools.CreateTempDir("elsa-rg-fsck");
        var copy = Path.Combine(dir, "disk.raw");
        try
        {
            await h.Local.RunAsync(new NodeCommand("zfs", "clone", $"{dataset}@{snapshot}", clone), ct);
            try
            {
                var mountpoint = (await h.Local.RunAsync(new NodeCommand("zfs", "get", "-H", "-o", "value", "mountpoint", clone), ct)).StandardOutput.Trim();
                // O_DIRECT: never a page-cache copy of another file's blocks.
                await h.Local.RunAsync(new NodeCommand("dd", $"if={mountpoint}/disk.raw", $"of={copy}", "iflag=direct", "bs=1M", "status=none"), ct);
            }
            finally
            {
                await h.Lab.Zfs(RealGuestHarness.Source).DestroyAsync(clone, cancellationToken: CancellationToken.None);
            }
            return await TestTools.RunAsync("e2fsck", ["-fn", copy], ct);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
