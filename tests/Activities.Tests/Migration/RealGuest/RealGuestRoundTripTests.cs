using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// Back and forth without loss: the real guest (writer fsync'ing numbered blocks throughout) with a replicated and a
/// local disk migrated a→b→a→b with the shipped live-migrate-freeze-verify.json. Each leg: VerifyDisks Full finds both
/// disks identical at the pause; the replicated disk travels incrementally (ZFS from the previous leg's snapshot, QEMU
/// only the dirty blocks); nothing of the VM is left on the node it left (no QEMU, no runtime files, no copy of the
/// local disk, no migration bitmap), so the next leg back is never blocked.
/// </summary>
[Collection("zfs")]
public sealed class RealGuestRoundTripTests(ITestOutputHelper output)
{
    [Fact(Timeout = 600_000)]
    public async Task ThreeLiveMigrations_ABA_B_ShouldEachBeIncrementalIdenticalAndLeaveNothingStale()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(9.5));
        var ct = cts.Token;
        await using var h = await RealGuestHarness.CreateAsync(output, ct);
        var workflow = RealGuestHarness.FreezeWorkflow(verify: true);
        var legs = new[] { (RealGuestHarness.Source, RealGuestHarness.Target), (RealGuestHarness.Target, RealGuestHarness.Source), (RealGuestHarness.Source, RealGuestHarness.Target) };
        var lastSequence = (await h.Console(RealGuestHarness.Source).WaitForNewHeartbeatsAsync(2, TimeSpan.FromSeconds(30), ct)).Sequence;

        foreach (var (leg, (from, to)) in legs.Select((l, i) => (i + 1, l)))
        {
            var (id, _) = await h.RunAsync(workflow, ct, from, to);
            var journal = await h.JournalAsync(id, ct);
            Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted);
            Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);

            // Identical at the pause, every byte of both disks.
            var verify = journal.Single(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.Message).Data!;
            Assert.True(verify["identical"]!.GetValue<bool>(), $"leg {leg}: {verify.ToJsonString()}");

            // Incremental: ZFS from a common snapshot, and QEMU copied the dirty blocks, not the disk.
            var replicated = journal.Single(e => e.ActivityId == "zfsSend" && e.Data?["bytes"] is not null).Data!;
            Assert.NotNull(replicated["base"]?.GetValue<string>());
            var zfsBytes = replicated["bytes"]!.GetValue<long>();
            var bitmap = journal.Single(e => e.ActivityId == "bitmapMirror" && e.Kind == JournalKind.Message).Data!;
            var dirty = bitmap["dirtyBytes"]!.GetValue<long>();
            var copied = bitmap["bytesCopied"]!.GetValue<long>();
            output.WriteLine($"leg {leg} {from}->{to}: zfs {zfsBytes} bytes (base @{replicated["base"]}), bitmap pass 1 copied {copied} of {dirty} dirty, disk {RealGuestHarness.ReplicatedSize}");
            Assert.True(zfsBytes < RealGuestHarness.ReplicatedSize / 4, $"leg {leg}: the ZFS send carried {zfsBytes} bytes of a {RealGuestHarness.ReplicatedSize}-byte disk");
            Assert.InRange(copied, dirty, dirty + (1L << 20));
            Assert.True(copied < RealGuestHarness.ReplicatedSize / 4, $"leg {leg}: BitmapMirror copied {copied} bytes");

            // The guest lives on on the new node, its heartbeat sequence continuing.
            var console = h.Console(to);
            var first = await console.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(60), ct);
            var later = await console.WaitForSequenceAboveAsync(first.Sequence + 3, TimeSpan.FromSeconds(60), ct);
            Assert.True(first.Sequence >= lastSequence, $"leg {leg}: sequence went back from {lastSequence} to {first.Sequence}");
            lastSequence = later.Sequence;

            await AssertNothingStaleAsync(h, leg, from, to, id, ct);
        }
    }

    /// <summary>On the node the VM left: no QEMU, no runtime file of the VM, no copy of its local disk; on its new node no migration bitmap.</summary>
    private async Task AssertNothingStaleAsync(RealGuestHarness h, int leg, string left, string now, string instanceId, CancellationToken ct)
    {
        var leftPaths = h.Lab.Inventory.RuntimePaths(RealGuestHarness.VmId, left);
        Assert.False(MigrationHarness.QemuAlive(leftPaths.PidFile), $"leg {leg}: a QEMU still runs on {left}");
        foreach (var path in new[] { leftPaths.PidFile, leftPaths.QmpSocket, leftPaths.GuestAgentSocket, leftPaths.NbdSocket, leftPaths.MigrationSocket })
            Assert.False(File.Exists(path), $"leg {leg}: {path} is left on {left}");
        var localDisk = h.Lab.Inventory.ResolveDisk(RealGuestHarness.VmId, "drive1", left);
        Assert.False(await h.DatasetExistsAsync(left, localDisk.Dataset!, ct), $"leg {leg}: the local disk's copy is left on {left}");
        var datasets = await h.Lab.Zfs(left).ListDatasetsAsync(h.Lab.PoolName(left), ct);
        Assert.DoesNotContain(datasets, d => d.Name.Contains("-kept-", StringComparison.Ordinal));
        Assert.All(await h.LedgerAsync(instanceId, ct), e => Assert.NotNull(e.ReleasedAt));

        var session = await h.Pool.GetAsync(h.Lab.Inventory.RuntimePaths(RealGuestHarness.VmId, now).QmpSocket, ct);
        Assert.Equal(RunState.Running, (await session.Client.QueryStatusAsync(ct)).Status);
        Assert.DoesNotContain(await session.Client.QueryNamedBlockNodesAsync(ct), n => n.DirtyBitmaps.Count > 0);
        // The next leg reuses this session's QEMU through the migration's pool: give it back.
        await h.Pool.DropAsync(h.Lab.Inventory.RuntimePaths(RealGuestHarness.VmId, now).QmpSocket);
        var replica = h.Lab.Inventory.ResolveDisk(RealGuestHarness.VmId, "drive0", left).Dataset!;
        output.WriteLine($"leg {leg}: {left} keeps {replica} with snapshots {string.Join(", ", await h.SnapshotsAsync(left, replica, ct))}");
    }
}
