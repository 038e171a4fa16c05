using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;
using static Elsa.Migration.Activities.Tests.Replication.ReplicationLab;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>
/// <c>workflows/offline-migrate.json</c> end to end on real zfs-fuse pools through the real runtime: a stopped VM with
/// a replicated, a local and an unused disk moves at the storage level, starts on the target with identical disks; a
/// running VM is refused with nothing created.
/// </summary>
[Collection("zfs")]
public sealed class OfflineMigrateWorkflowTests(ITestOutputHelper output)
{
    private const long MiB = 1L << 20;
    private static readonly (DiskKind, long)[] Disks = [(DiskKind.Replicated, 64 * MiB), (DiskKind.Local, 32 * MiB), (DiskKind.Unused, 16 * MiB)];

    [Fact(Timeout = 240_000)]
    public async Task OfflineMigrate_OfAStoppedVm_ShouldMoveEveryDiskIdenticallyRemoveTheSourceCopiesAndStartOnTheTarget()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        // drive3: an unused disk that has a replica on b, so it moves by a final incremental send too.
        (DiskKind, long)[] disks = [.. Disks, (DiskKind.Unused, 16 * MiB)];
        await lab.CreateVmAsync([A, B], ct, disks);
        await lab.Migration.ReplicateAsync(VmId, 3, ct);
        await lab.Migration.DirtyAsync(VmId, 0, 2 * MiB, ct); // written since the replica: the final send carries it
        await lab.WriteFileAsync(lab.Disk(3, A).Path, 5 * MiB, 0x3d, ct);
        // The disks as they were before the migration (the source copies of local and unused disks go away).
        var before = Path.Combine(lab.Lab.Directory, "before");
        Directory.CreateDirectory(before);
        for (var i = 0; i < disks.Length; i++) File.Copy(lab.Disk(i, A).Path, Path.Combine(before, $"drive{i}.raw"));

        var run = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", A), ("TargetNode", B));

        AssertCompleted(run);
        var (bytes, from, ms) = Leg(run.Journal, "drive0", B);
        output.WriteLine($"final send of drive0: {bytes} bytes in {ms:0} ms from {from}, disk {64 * MiB}");
        Assert.Equal("repl-0", from);
        // DirtyAsync writes 64 KiB blocks at random offsets: each one rewrites a whole 128 KiB ZFS record (up to twice the bytes).
        Assert.InRange(bytes, 2 * MiB, 5 * MiB);
        var unused = Leg(run.Journal, "drive3", B);
        output.WriteLine($"final send of unused drive3: {unused.Bytes} bytes from {unused.From}");
        Assert.Equal("repl-0", unused.From);
        Assert.True(unused.Bytes < MiB, $"the unused replicated disk sent {unused.Bytes} bytes for a 64 KiB change");
        for (var i = 0; i < disks.Length; i++)
        {
            var same = await lab.Migration.CompareAsync(Path.Combine(before, $"drive{i}.raw"), lab.Disk(i, B).Path, ct);
            output.WriteLine($"drive{i} before vs target: {same.Output}");
            Assert.True(same.Identical, $"drive{i} differs on the target: {same.Output}");
        }
        // The source keeps the replicated disk and the common snapshot; its local and unused copies are gone.
        var zfsA = lab.Lab.Zfs(A);
        Assert.True(await zfsA.ExistsAsync(lab.Disk(0, A).Dataset!, ct));
        Assert.False(await zfsA.ExistsAsync(lab.Disk(1, A).Dataset!, ct));
        Assert.False(await zfsA.ExistsAsync(lab.Disk(2, A).Dataset!, ct));
        Assert.True(await zfsA.ExistsAsync(lab.Disk(3, A).Dataset!, ct), "the unused replicated disk's source dataset (a replication base) was removed");
        Assert.Equal((await lab.SnapshotsAsync(A, 0, ct)).Last(), (await lab.SnapshotsAsync(B, 0, ct)).Last());
        Assert.All(await lab.Migration.LedgerAsync(run.InstanceId, ct), e => Assert.NotNull(e.ReleasedAt));

        // vm start on the target from the same inventory profile.
        await using var qmp = await lab.Lab.StartVmAsync(VmId, B, cancellationToken: ct);
        Assert.Equal(RunState.Running, (await qmp.QueryStatusAsync(ct)).Status);
        var nodes = (await qmp.QueryNamedBlockNodesAsync(ct)).Select(n => n.NodeName).ToList();
        Assert.Contains("disk0", nodes);
        Assert.Contains("disk1", nodes);
    }

    [Fact(Timeout = 180_000)]
    public async Task OfflineMigrate_OfARunningVm_ShouldBeRefusedWithNothingCreated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        await lab.CreateVmAsync([A, B], ct, Disks);
        await lab.Migration.StartVmAsync(VmId, ct);
        var datasetsBefore = (await lab.Lab.Zfs(B).ListDatasetsAsync(lab.Lab.PoolName(B), ct)).Select(d => d.Name).ToList();
        var snapshotsBefore = await lab.SnapshotsAsync(B, 0, ct);

        var run = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", A), ("TargetNode", B));

        Assert.Contains(run.Journal, e => e.ActivityId == "planOffline" && e.Kind == JournalKind.ActivityFaulted &&
                                          e.Message!.Contains("VM vm1 runs on lab-a", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Journal, e => e.ActivityId == "copyDisksOffline" && e.Kind == JournalKind.ActivityStarted);
        Assert.Empty(await lab.Migration.LedgerAsync(run.InstanceId, ct));
        Assert.Equal(datasetsBefore, (await lab.Lab.Zfs(B).ListDatasetsAsync(lab.Lab.PoolName(B), ct)).Select(d => d.Name).ToList());
        Assert.Equal(snapshotsBefore, await lab.SnapshotsAsync(B, 0, ct));
        Assert.DoesNotContain(await lab.SnapshotsAsync(A, 0, ct), s => s.StartsWith("elsa-mig-", StringComparison.Ordinal));
        Assert.True((await new QemuVmManager(lab.Lab.Inventory).StatusAsync(A, VmId, ct)).ProcessAlive, "the running VM was touched");
    }

    [Fact(Timeout = 240_000)]
    public async Task OfflineMigrate_KeepingSourceCopies_ShouldRenameThemWithTheInstanceIdSoTheVmCanMoveBack()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        await lab.CreateVmAsync([A, B], ct, Disks);

        var there = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", A), ("TargetNode", B), ("KeepSourceLocalDisks", true));
        AssertCompleted(there);
        var kept = Ownership.KeptName(lab.Disk(1, A).Dataset!, there.InstanceId);
        Assert.StartsWith(lab.Disk(1, A).Dataset + "-kept-", kept);
        Assert.True(await lab.Lab.Zfs(A).ExistsAsync(kept, ct), $"{kept} was not kept");
        Assert.False(await lab.Lab.Zfs(A).ExistsAsync(lab.Disk(1, A).Dataset!, ct));

        // Back b -> a: the kept copy does not block it; the replicated disk goes back incrementally from the migration's snapshot.
        await lab.WriteFileAsync(lab.Disk(1, B).Path, 1 * MiB, 0x5e, ct);
        var back = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", B), ("TargetNode", A));
        AssertCompleted(back);
        var (bytes, from, _) = Leg(back.Journal, "drive0", A);
        Assert.StartsWith("elsa-mig-", from);
        Assert.True(bytes < MiB, $"the replicated disk went back with {bytes} bytes");
        Assert.True(await lab.Lab.Zfs(A).ExistsAsync(kept, ct), "the kept copy of the first move was touched");
        Assert.False(await lab.Lab.Zfs(B).ExistsAsync(lab.Disk(1, B).Dataset!, ct));
        var keptFile = Path.Combine(lab.Lab.Directory, A, "mnt", Path.GetFileName(kept), "disk.raw");
        Assert.True(File.Exists(keptFile), $"the kept copy is not mounted at {keptFile}");
        var same = await lab.Migration.CompareAsync(lab.Disk(1, A).Path, keptFile, ct);
        Assert.False(same.Identical, "the written local disk came back unchanged"); // it carries the write made on b
    }

    [Fact(Timeout = 240_000)]
    public async Task OfflineMigrate_WhenACopyFailsHalfWay_ShouldRollBackOnlyWhatItCreated()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        await lab.CreateVmAsync([A, B], ct, Disks);
        // The unused disk's file is shorter than the inventory says: its copy comes out short and the step fails after
        // the replicated disk was sent and the local disk copied.
        await using (var fs = new FileStream(lab.Disk(2, A).Path, FileMode.Open)) fs.SetLength(8 * MiB);
        var replicaBefore = await lab.SnapshotsAsync(B, 0, ct);

        var run = await lab.RunAsync("offline-migrate.json", ct, ("SourceNode", A), ("TargetNode", B));

        Assert.Contains(run.Journal, e => e.ActivityId == "copyDisksOffline" && e.Kind == JournalKind.ActivityFaulted &&
                                          e.Message!.Contains("moved 8388608 bytes, but the disk has 16777216", StringComparison.Ordinal));
        Assert.Contains(run.Journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityCompleted);
        Assert.All(await lab.Migration.LedgerAsync(run.InstanceId, ct), e => Assert.NotNull(e.ReleasedAt));
        var zfsB = lab.Lab.Zfs(B);
        Assert.False(await zfsB.ExistsAsync(lab.Disk(1, B).Dataset!, ct), "the local disk's target volume was left");
        Assert.False(await zfsB.ExistsAsync(lab.Disk(2, B).Dataset!, ct), "the unused disk's target volume was left");
        // The replica is kept (with the new snapshot as the next base); the source keeps every disk.
        Assert.Equal(replicaBefore, (await lab.SnapshotsAsync(B, 0, ct)).Take(replicaBefore.Count));
        for (var i = 0; i < Disks.Length; i++) Assert.True(File.Exists(lab.Disk(i, A).Path), $"drive{i} is gone from the source");
    }
}
