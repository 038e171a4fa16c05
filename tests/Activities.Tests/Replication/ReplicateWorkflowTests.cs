using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Elsa.Migration.Activities.Tests.Replication.ReplicationLab;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>
/// <c>workflows/replicate.json</c> end to end on real zfs-fuse pools and real QEMU (TCG), through the real runtime, with
/// the shipped live migration around it: the direction switch after a migration, a third node kept incremental, and
/// the refusals that keep a full send from happening silently or overwriting something.
/// </summary>
[Collection("zfs")]
public sealed class ReplicateWorkflowTests(ITestOutputHelper output)
{
    private const long DiskSize = 64L << 20;
    private const long MiB = 1L << 20;

    [Fact(Timeout = 300_000)]
    public async Task Replicate_AfterLiveMigrationAToB_ShouldSendOnlyTheNewDeltaBackToAAndTheNextMigrationBackShouldReuseIt()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        // drive1: an unused disk with a replica on b (replicated like the attached one).
        await lab.CreateVmAsync([A, B], ct, (DiskKind.Replicated, DiskSize), (DiskKind.Unused, 16 * MiB));
        await lab.Migration.ReplicateAsync(VmId, 1, ct);
        await lab.Migration.StartVmAsync(VmId, ct);

        var there = await lab.LiveMigrateAsync(A, B, ct);
        AssertCompleted(there);
        var migrationSnapshot = (await lab.SnapshotsAsync(B, 0, ct)).Last();
        Assert.StartsWith("elsa-mig-", migrationSnapshot);
        Assert.Contains(migrationSnapshot, await lab.SnapshotsAsync(A, 0, ct));

        // The guest writes 3 MiB on b; replication b->a must carry those, not the 64 MiB disk.
        await lab.WriteThroughQemuAsync(B, 20, 3, 0xc3, ct);
        var back = await lab.ReplicateAsync(B, ct);
        AssertCompleted(back);
        var (bytes, from, ms) = Leg(back.Journal, "drive0", A);
        output.WriteLine($"replicate b->a: {bytes} bytes in {ms:0} ms, incremental from {from}, disk {DiskSize}");
        Assert.Equal(migrationSnapshot, from);
        Assert.InRange(bytes, 3 * MiB, 4 * MiB);
        Assert.True((await lab.CompareAsync(0, A, B, ct)).Identical, "a's replica differs from b's disk after replication");
        var unused = Leg(back.Journal, "drive1", A);
        Assert.Equal(migrationSnapshot, unused.From);
        Assert.True(unused.Bytes < MiB, $"the unchanged unused disk sent {unused.Bytes} bytes");
        var replicationSnapshot = (await lab.SnapshotsAsync(B, 0, ct)).Last();
        Assert.StartsWith("elsa-repl-", replicationSnapshot);
        // The migration's snapshot is the migration's to prune: replication left it on both sides.
        Assert.Contains(migrationSnapshot, await lab.SnapshotsAsync(A, 0, ct));
        Assert.Contains(migrationSnapshot, await lab.SnapshotsAsync(B, 0, ct));

        // The next migration b->a starts its ZFS send from the replication snapshot.
        var home = await lab.LiveMigrateAsync(B, A, ct);
        AssertCompleted(home);
        var zfs = home.Journal.Single(e => e.ActivityId == "zfsReplicate" && e.Data?["disk"]?.GetValue<string>() == "vd0" && e.Data["bytes"] is not null);
        output.WriteLine($"migration b->a ZfsReplicate: {zfs.Data!["bytes"]} bytes from {zfs.Data["base"]}");
        Assert.Equal(replicationSnapshot, zfs.Data["base"]!.GetValue<string>());
        Assert.True(zfs.Data["bytes"]!.GetValue<long>() < MiB, $"the migration back sent {zfs.Data["bytes"]} bytes");
        Assert.True((await lab.CompareAsync(0, A, B, ct)).Identical, "b's disk differs from a's after the migration back");
        // The migration's Cleanup prunes only its own prefix: the replication snapshot stays on both sides.
        Assert.Contains(replicationSnapshot, await lab.SnapshotsAsync(A, 0, ct));
        Assert.Contains(replicationSnapshot, await lab.SnapshotsAsync(B, 0, ct));
    }

    [Fact(Timeout = 300_000)]
    public async Task Replicate_OfAVmReplicatedToBAndCMigratedAToB_ShouldKeepCIncrementalAndSendToAFromTheMigrationSnapshot()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B, C);
        await lab.CreateVmAsync([A, B, C], ct, (DiskKind.Replicated, DiskSize));

        // The site's replication from a: b has a replica (repl-0), c gets its first full send because it is asked for.
        var first = await lab.ReplicateAsync(A, ct, fullSendIfNoBase: true);
        AssertCompleted(first);
        Assert.Equal("repl-0", Leg(first.Journal, "drive0", B).From);
        var full = Leg(first.Journal, "drive0", C);
        output.WriteLine($"first replication to c (full): {full.Bytes} bytes in {full.Ms:0} ms");
        Assert.Null(full.From);
        Assert.True(full.Bytes >= DiskSize, $"the full send carried {full.Bytes} bytes of a {DiskSize}-byte disk");
        var commonWithC = (await lab.SnapshotsAsync(C, 0, ct)).Last();

        await lab.Migration.StartVmAsync(VmId, ct);
        await lab.WriteThroughQemuAsync(A, 4, 2, 0xa1, ct);
        var migration = await lab.LiveMigrateAsync(A, B, ct);
        AssertCompleted(migration);
        var migrationSnapshot = (await lab.SnapshotsAsync(B, 0, ct)).Last();

        await lab.WriteThroughQemuAsync(B, 30, 2, 0xb2, ct);
        var after = await lab.ReplicateAsync(B, ct);
        AssertCompleted(after);
        var toA = Leg(after.Journal, "drive0", A);
        var toC = Leg(after.Journal, "drive0", C);
        output.WriteLine($"replicate b->a: {toA.Bytes} bytes in {toA.Ms:0} ms from {toA.From}; b->c: {toC.Bytes} bytes in {toC.Ms:0} ms from {toC.From}; disk {DiskSize}");
        Assert.Equal(migrationSnapshot, toA.From);
        Assert.Equal(commonWithC, toC.From);
        Assert.InRange(toA.Bytes, 2 * MiB, 3 * MiB);
        Assert.InRange(toC.Bytes, 4 * MiB, 6 * MiB); // the 2 MiB written before the migration and the 2 MiB after
        // The per-target results are the procedure's variable ReplicationResult (what `show ID` prints).
        var instance = await lab.Migration.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(after.InstanceId, ct);
        var result = JsonNode.Parse(instance!.Variables["ReplicationResult"]!.GetValue<string>())!;
        Assert.Equal([A, C], result["targets"]!.AsArray().Select(t => t!["target"]!.GetValue<string>()));
        Assert.All(result["targets"]!.AsArray(), t => Assert.True(t!["succeeded"]!.GetValue<bool>()));
        Assert.Equal(toC.Bytes, result["targets"]![1]!["disks"]![0]!["bytes"]!.GetValue<long>());
        Assert.True((await lab.CompareAsync(0, A, B, ct)).Identical, "a differs from b");
        Assert.True((await lab.CompareAsync(0, C, B, ct)).Identical, "c differs from b");
        // Every node keeps the newest replication snapshot; the base c had before is pruned now that it has a newer one.
        var newest = (await lab.SnapshotsAsync(B, 0, ct)).Last();
        foreach (var node in new[] { A, B, C })
        {
            var snapshots = await lab.SnapshotsAsync(node, 0, ct);
            Assert.Contains(newest, snapshots);
            Assert.DoesNotContain(commonWithC, snapshots);
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task Replicate_ToATargetWithoutCommonSnapshot_ShouldRefuseUnlessAskedAndNeverSendIntoAnExistingDataset()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B, C);
        await lab.CreateVmAsync([A, B, C], ct, (DiskKind.Replicated, DiskSize));
        var cDataset = lab.Disk(0, C).Dataset!;

        // No replica on c and no permission for a full send: c is refused with what to do, b is still replicated.
        var refused = await lab.ReplicateAsync(A, ct);
        Assert.Equal(WorkflowStatus.Faulted, refused.Status);
        Assert.Contains(refused.Journal, e => e.Message?.Contains("Replication to lab-c FAILED", StringComparison.Ordinal) == true &&
                                                  e.Message.Contains("FullSendIfNoBase = true", StringComparison.Ordinal));
        Assert.Equal("repl-0", Leg(refused.Journal, "drive0", B).From);
        Assert.False(await lab.Lab.Zfs(C).ExistsAsync(cDataset, ct));

        // A dataset of that name exists on c (not a replica): even with FullSendIfNoBase it is left alone.
        await lab.Lab.Zfs(C).CreateDatasetAsync(cDataset, cancellationToken: ct);
        var marker = Path.Combine(lab.Lab.Directory, C, "mnt", Path.GetFileName(cDataset), "keep.txt");
        await File.WriteAllTextAsync(marker, "someone else's", ct);
        var existing = await lab.ReplicateAsync(A, ct, fullSendIfNoBase: true);
        Assert.Equal(WorkflowStatus.Faulted, existing.Status);
        Assert.Contains(existing.Journal, e => e.Message?.Contains("exists but has no snapshot in common", StringComparison.Ordinal) == true);
        Assert.Equal("someone else's", await File.ReadAllTextAsync(marker, ct));
        Assert.Empty(await lab.SnapshotsAsync(C, 0, ct));

        // Gone, and asked for: one full send.
        await lab.Lab.Zfs(C).DestroyAsync(cDataset, recursive: true, ct);
        var asked = await lab.ReplicateAsync(A, ct, fullSendIfNoBase: true);
        AssertCompleted(asked);
        var full = Leg(asked.Journal, "drive0", C);
        output.WriteLine($"full send to c: {full.Bytes} bytes in {full.Ms:0} ms");
        Assert.Null(full.From);
        Assert.True(full.Bytes >= DiskSize);
        Assert.NotNull(Leg(asked.Journal, "drive0", B).From);
        Assert.True((await lab.CompareAsync(0, A, C, ct)).Identical, "c differs from a after the full send");
    }

    [Fact(Timeout = 180_000)]
    public async Task Replicate_WhenTheVmRunsOnATarget_ShouldRefuseThatTargetAndLeaveItsDiskAlone()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        await lab.CreateVmAsync([A, B], ct, (DiskKind.Replicated, DiskSize));
        // The VM runs on b (its disks are live there); an operator replicates "from a" by mistake.
        await using (await lab.Lab.StartVmAsync(VmId, B, cancellationToken: ct)) { }
        var before = await lab.SnapshotsAsync(B, 0, ct);

        var run = await lab.ReplicateAsync(A, ct);

        Assert.Equal(WorkflowStatus.Faulted, run.Status);
        Assert.Contains(run.Journal, e => e.Kind == JournalKind.ActivityFaulted && e.Message?.Contains("runs on lab-b", StringComparison.Ordinal) == true);
        Assert.Equal(before, await lab.SnapshotsAsync(B, 0, ct));
        Assert.DoesNotContain(await lab.SnapshotsAsync(A, 0, ct), s => s.StartsWith("elsa-repl-", StringComparison.Ordinal));
    }

    [Fact(Timeout = 180_000)]
    public async Task Replicate_WhenTheTargetHasSnapshotsTheSourceLacks_ShouldRefuseRatherThanRollThemBack()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2.5));
        var ct = cts.Token;
        await using var lab = await ReplicationLab.CreateAsync(output, ct, A, B);
        await lab.CreateVmAsync([A, B], ct, (DiskKind.Replicated, DiskSize));
        // b has history a lacks (as if the VM had run and been replicated from b since): a stale "from a" must not erase it.
        await lab.Lab.Zfs(B).SnapshotAsync(lab.Disk(0, B).Dataset!, "site-snap-1", ct);
        await lab.WriteFileAsync(lab.Disk(0, B).Path, 0, 0x77, ct);
        await lab.Lab.Zfs(B).SnapshotAsync(lab.Disk(0, B).Dataset!, "site-snap-2", ct);

        var run = await lab.ReplicateAsync(A, ct, fullSendIfNoBase: true);

        Assert.Equal(WorkflowStatus.Faulted, run.Status);
        Assert.Contains(run.Journal, e => e.Message?.Contains("has snapshots newer than the common @repl-0 that the source lacks (site-snap-1, site-snap-2)",
            StringComparison.Ordinal) == true);
        Assert.Equal(["repl-0", "site-snap-1", "site-snap-2"], await lab.SnapshotsAsync(B, 0, ct));
    }
}
