using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Migration.Steps;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Undo only what this migration created (real QEMU, real zfs-fuse, the shipped procedure): for every ledger kind that
/// can destroy something, the resource is made to exist already under the migration's name, a rollback is forced, and
/// the resource must be exactly as it was. Once through whole migrations (a target dataset that was there before, a
/// dirty bitmap someone else added), once by replaying Rollback over ledger entries that name foreign resources
/// (a snapshot without the mark, a QEMU at the target's pid file that is not the one recorded).
/// </summary>
[Collection("zfs")]
public sealed class UndoOwnershipTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task PreExistingTargetDataset_ShouldBeRefused_AndTheRollbackShouldLeaveItAndItsSnapshotsByteIdentical()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        // drive1 (local) already exists on the target: e.g. a copy a migration back left there, or someone's data.
        var existing = h.TargetDisk(1);
        await h.Lab.Zfs(MigrationHarness.Target).CreateDatasetAsync(existing.Dataset!, cancellationToken: ct);
        await using (var file = new FileStream(existing.Path, FileMode.CreateNew)) file.SetLength(MigrationHarness.LocalSize);
        await DiskContent.FillRandomAsync(existing.Path, 0, 4L << 20, ct);
        await h.Lab.Zfs(MigrationHarness.Target).SnapshotAsync(existing.Dataset!, "site-backup", ct);
        await DiskContent.FillRandomAsync(existing.Path, 1L << 20, 1L << 20, ct);
        var before = await FingerprintAsync(h.Lab.Zfs(MigrationHarness.Target), existing.Dataset!, existing.Path, ct);

        var (id, _) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json", MigrationHarness.PlanWithGetDiskInfo), ct);
        var journal = await h.JournalAsync(id, ct);

        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("prepareTarget", fault.ActivityId);
        Assert.Contains("already exists on lab-b: refusing to overwrite it", fault.Message);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "already exists on lab-b: refusing to overwrite it", ct);
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.Contains($"kept lab-b:{existing.Dataset}: not created by this migration", StringComparison.Ordinal) == true);
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        Assert.Equal(before, await FingerprintAsync(h.Lab.Zfs(MigrationHarness.Target), existing.Dataset!, existing.Path, ct));
        // What it did create (the unused disk's copy) is gone; the VM runs on the source.
        Assert.False(await h.DatasetExistsAsync(MigrationHarness.Target, h.TargetDisk(2).Dataset!, ct), "the unused disk's target copy is left behind");
        var source = await h.SourceSessionAsync(ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
    }

    [Fact(Timeout = 300_000)]
    public async Task ForeignResourcesUnderTheMigrationsNames_ShouldSurviveARollback()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        // A rollback hands the source's monitor back (closes the migration's session): ask for the session again after each run.
        var source = await h.SourceSessionAsync(ct);

        // 1. A dirty bitmap named like the migration's, added by someone else: refused, never removed.
        await source.Client.TransactionAsync([new AddBitmapAction("disk0", "mig-vd0", null)], ct);
        var (id, _) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json"), ct);
        var journal = await h.JournalAsync(id, ct);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal("addDirtyBitmap", fault.ActivityId);
        Assert.Contains("this migration did not create it", fault.Message);
        source = await h.SourceSessionAsync(ct);
        Assert.Contains((await source.Client.QueryNamedBlockNodesAsync(ct)).Single(n => n.NodeName == "disk0").DirtyBitmaps, b => b.Name == "mig-vd0");
        await source.Client.BlockDirtyBitmapRemoveAsync("disk0", "mig-vd0", ct);

        // 2. A block node named like the migration's NBD client of the local disk: refused at DriveMirror, never deleted.
        await source.Client.BlockdevAddAsync(new JsonObject { ["driver"] = "null-co", ["node-name"] = "mig-tgt-vd1", ["size"] = MigrationHarness.LocalSize }, ct);
        await AssertRefusedAndKeptAsync(h, "driveMirror", async () =>
            (await (await h.SourceSessionAsync(ct)).Client.QueryNamedBlockNodesAsync(ct)).Any(n => n.NodeName == "mig-tgt-vd1"), ct);

        source = await h.SourceSessionAsync(ct);
        await source.Client.BlockdevDelAsync("mig-tgt-vd1", ct);

        // 3. A block job named like the migration's (someone's slow backup of the local disk): refused, never cancelled.
        await source.Client.BlockdevAddAsync(new JsonObject { ["driver"] = "null-co", ["node-name"] = "someones-backup", ["size"] = MigrationHarness.LocalSize }, ct);
        await source.Client.BlockdevBackupAsync(new BlockdevBackupOptions("mig-job-vd1", "disk1", "someones-backup", SyncMode.Full) { Speed = 1024 }, ct);
        await AssertRefusedAndKeptAsync(h, "driveMirror", async () =>
            (await (await h.SourceSessionAsync(ct)).Client.QueryBlockJobsAsync(ct)).Any(j => j.Device == "mig-job-vd1"), ct);
        source = await h.SourceSessionAsync(ct);
        var mark = source.LastSequence;
        await source.Client.BlockJobCancelAsync("mig-job-vd1", force: true, ct);
        await source.WaitForEventAsync<BlockJobCancelledEvent>(mark, e => e.Device == "mig-job-vd1", TimeSpan.FromSeconds(30), "the foreign job's end", ct);
        await source.Client.BlockdevDelAsync("someones-backup", ct);

        // 4. Rollback replayed over entries naming foreign resources, with the plan of that migration.
        var sourceZfs = h.Lab.Zfs(MigrationHarness.Source);
        var dataset = h.SourceDisk(0).Dataset!;
        await sourceZfs.SnapshotAsync(dataset, "elsa-mig-foreign", ct); // no mark: not ours
        await sourceZfs.SnapshotAllAsync([dataset], "elsa-mig-ours", new Dictionary<string, string> { [Ownership.ZfsProperty] = "replay" }, ct);
        var foreignGuid = (await sourceZfs.ListSnapshotsAsync(dataset, ct)).Single(s => s.Name == "elsa-mig-foreign").Guid;
        // A QEMU at the target's pid file waiting for a migration, but not the one the ledger recorded.
        await h.Lab.CreateDisksAsync(MigrationHarness.VmId, MigrationHarness.Target, ct);
        await (await h.Lab.StartVmAsync(MigrationHarness.VmId, MigrationHarness.Target, incoming: true, ct)).DisposeAsync();
        var foreignQemu = await QemuProcessMark.ReadAsync(h.Node(MigrationHarness.Target), h.TargetPaths.PidFile, ct);
        Assert.NotNull(foreignQemu);

        var record = await h.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(id, ct);
        LedgerEntry Entry(long n, string kind, string node, string name, JsonObject details) =>
            new(n, "replay", "test", kind, node, name, details, DateTimeOffset.UtcNow, null, DateTimeOffset.UtcNow);
        var ledger = new[]
        {
            Entry(1, LedgerKinds.ZfsSnapshot, MigrationHarness.Source, $"{dataset}@elsa-mig-foreign",
                new JsonObject { ["dataset"] = dataset, ["snapshot"] = "elsa-mig-foreign", ["targetDataset"] = h.TargetDisk(0).Dataset }),
            Entry(2, LedgerKinds.ZfsSnapshot, MigrationHarness.Source, $"{dataset}@elsa-mig-ours",
                new JsonObject { ["dataset"] = dataset, ["snapshot"] = "elsa-mig-ours", ["targetDataset"] = h.TargetDisk(0).Dataset }),
            Entry(3, LedgerKinds.TargetQemu, MigrationHarness.Target, h.TargetPaths.PidFile,
                new JsonObject { ["qmp"] = h.TargetPaths.QmpSocket, ["pid"] = foreignQemu.Pid, ["startTime"] = foreignQemu.StartTime - 1 }),
        };
        var replay = new LedgerReplayContext(new Rollback { Id = "rollback-replay", Type = "VmMigration.Rollback" }, h.Services, ledger, record!.Variables, ct);
        await replay.Activity.ExecuteAsync(replay);
        foreach (var line in replay.Journal) output.WriteLine("replay: " + line);

        var snapshots = await sourceZfs.ListSnapshotsAsync(dataset, ct);
        Assert.Equal(foreignGuid, Assert.Single(snapshots, s => s.Name == "elsa-mig-foreign").Guid);
        Assert.DoesNotContain(snapshots, s => s.Name == "elsa-mig-ours"); // the positive control: marked, so removed
        Assert.Contains(replay.Journal, l => l.Contains("kept " + dataset + "@elsa-mig-foreign: not taken by this migration", StringComparison.Ordinal));
        Assert.Equal(foreignQemu, await QemuProcessMark.ReadAsync(h.Node(MigrationHarness.Target), h.TargetPaths.PidFile, ct));
        Assert.Contains(replay.Journal, l => l.Contains("not the one this migration started", StringComparison.Ordinal));
        await h.Lab.StopVmAsync(MigrationHarness.VmId, MigrationHarness.Target, ct);
    }

    /// <summary>Runs the shipped procedure: <paramref name="step"/> must refuse the foreign resource and the rollback must leave it.</summary>
    private async Task AssertRefusedAndKeptAsync(MigrationHarness h, string step, Func<Task<bool>> stillThere, CancellationToken ct)
    {
        var (id, _) = await h.RunAsync(MigrationHarness.WorkflowJson("live-migrate.json"), ct);
        var journal = await h.JournalAsync(id, ct);
        var fault = OutcomeAssert.SingleFailure(journal);
        Assert.Equal(step, fault.ActivityId);
        Assert.Contains("this migration did not create it", fault.Message);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "this migration did not create it", ct);
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        Assert.True(await stillThere(), "the rollback removed a resource this migration did not create");
        Assert.Equal(RunState.Running, (await (await h.SourceSessionAsync(ct)).Client.QueryStatusAsync(ct)).Status);
    }

    /// <summary>A dataset's snapshots (name and guid), its own properties' mark, and its disk file's bytes, hashed.</summary>
    private static async Task<string> FingerprintAsync(ZfsDriver zfs, string dataset, string path, CancellationToken ct)
    {
        var snapshots = string.Join(",", (await zfs.ListSnapshotsAsync(dataset, ct)).Select(s => $"{s.Name}:{s.Guid}"));
        var mark = await zfs.GetUserPropertyAsync(dataset, Ownership.ZfsProperty, ct);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read);
        return $"{snapshots}|{mark}|{Convert.ToHexString(await SHA256.HashDataAsync(file, ct))}";
    }
}
