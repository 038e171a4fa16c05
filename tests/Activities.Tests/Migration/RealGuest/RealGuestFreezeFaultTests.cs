using System.Globalization;
using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// The ZFS snapshot fails while the real guest is frozen by its agent: the guest must be thawed (its writer moves
/// again), the migration rolled back, nothing left on either node.
/// </summary>
[Collection("zfs")]
public sealed class RealGuestFreezeFaultTests(ITestOutputHelper output)
{
    [Fact(Timeout = 360_000)]
    public async Task ZfsSnapshotFailingWhileTheGuestIsFrozen_ShouldThawTheGuestRollBackAndLeaveNothingBehind()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5.5));
        var ct = cts.Token;
        // The engine's wall clock stands still (timers and elapsed times stay real), so the snapshot name is known in advance.
        var clock = new PinnedWallClock(DateTimeOffset.UtcNow);
        await using var h = await RealGuestHarness.CreateAsync(output, ct, clock);
        var dataset = h.SourceDisk(0).Dataset!;
        var replica = h.TargetDisk(0).Dataset!;
        // The real failure: a snapshot of that name already exists, so `zfs snapshot` refuses (inside the freeze window).
        var taken = "elsa-mig-" + clock.Pinned.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        await h.Lab.Zfs(RealGuestHarness.Source).SnapshotAsync(dataset, taken, ct);
        var sourceSnapsBefore = await h.SnapshotsAsync(RealGuestHarness.Source, dataset, ct);
        var targetSnapsBefore = await h.SnapshotsAsync(RealGuestHarness.Target, replica, ct);
        var console = h.Console(RealGuestHarness.Source);
        await console.WaitForNewHeartbeatsAsync(1, TimeSpan.FromSeconds(30), ct);

        var (id, status) = await h.RunAsync(RealGuestHarness.FreezeWorkflow(verify: false), ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        Assert.Contains("Agent", journal.Single(e => e.ActivityId == "freezeGuest" && e.Kind == JournalKind.Message).Message);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("zfsSnapshot", fault.ActivityId);
        Assert.Contains("already exists", fault.Message);
        Assert.DoesNotContain(journal, e => e.ActivityId == "thawGuest");
        // Rollback thawed the guest through its agent (the ledger still said frozen).
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message == $"Rollback guest-frozen {RealGuestHarness.VmId}: guest thawed (Agent)");
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "already exists", ct);

        // The guest writes again and its agent says thawed.
        var afterRollback = console.ReadLatest()!;
        var moving = await console.WaitForSequenceAboveAsync(afterRollback.Sequence + 10, TimeSpan.FromSeconds(60), ct);
        await using (var agent = GuestAgentClient.ForUnixSocket(h.SourcePaths.GuestAgentSocket))
        {
            await agent.SyncAsync(ct);
            Assert.Equal(GuestFsFreezeStatus.Thawed, await agent.GetFreezeStatusAsync(cancellationToken: ct));
        }

        // Nothing left behind: the VM runs on the source on its own disks, no bitmap/job/NBD node, no target QEMU or volume,
        // the snapshots on both nodes are exactly those of before (the colliding one is not ours and stays).
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        var block = await source.Client.QueryBlockAsync(ct);
        Assert.Equal(h.SourceDisk(0).Path, block.Single(b => b.Device == "drive0").Inserted!.File);
        var nodes = await source.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(nodes, n => n.DirtyBitmaps.Count > 0);
        Assert.DoesNotContain(nodes, n => n.NodeName.StartsWith("mig-", StringComparison.Ordinal));
        Assert.Empty(await source.Client.QueryBlockJobsAsync(ct));
        Assert.False(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "a target QEMU is alive");
        Assert.False(File.Exists(h.TargetPaths.QmpSocket), "the target QMP socket is left behind");
        Assert.False(await h.Lab.Zfs(RealGuestHarness.Target).ExistsAsync(h.TargetDisk(1).Dataset!, ct), "the local disk's target volume exists");
        Assert.Equal(sourceSnapsBefore, await h.SnapshotsAsync(RealGuestHarness.Source, dataset, ct));
        Assert.Equal(targetSnapsBefore, await h.SnapshotsAsync(RealGuestHarness.Target, replica, ct));
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        output.WriteLine($"guest seq {afterRollback.Sequence} after the rollback, {moving.Sequence} later");
    }

    /// <summary>A wall clock that always says <see cref="Pinned"/>; timestamps, delays and timers stay real.</summary>
    private sealed class PinnedWallClock(DateTimeOffset pinned) : TimeProvider
    {
        public DateTimeOffset Pinned { get; } = pinned;
        public override DateTimeOffset GetUtcNow() => Pinned;
    }
}
