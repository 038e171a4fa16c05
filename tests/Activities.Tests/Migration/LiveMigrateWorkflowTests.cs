using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The shipped procedures, end to end on real QEMU (TCG) and real zfs-fuse, through the real runtime, with a guest-like
/// writer writing to the source disks the whole time. Proof of "target equals source at switchover": the writer only
/// writes while the source vCPUs run and shares the migration's QMP connection, so the source disk is frozen from the
/// switchover STOP on (the source then quits in Cleanup); a byte-for-byte equal target therefore equals the source at
/// switchover. Cleanup then removes the source's copies of the local and unused disks (or keeps them renamed): one test
/// keeps them and compares against the kept copies, the other removes them and compares at the pause (VerifyDisks).
/// </summary>
[Collection("zfs")]
public sealed class LiveMigrateWorkflowTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public Task LiveMigrateJson_WithWritesThroughout_KeepingSourceCopies_ShouldMoveTheVmWithIdenticalDisksAndKeepTheCopiesRenamed() =>
        MigrateAndVerifyAsync("live-migrate.json", keepSourceCopies: true);

    [Fact(Timeout = 300_000)]
    public Task LiveMigrateFreezeJson_InPauseMode_ShouldMoveTheVmWithIdenticalDisksAndRemoveTheSourceCopies() =>
        MigrateAndVerifyAsync("live-migrate-freeze.json", keepSourceCopies: false);

    private async Task MigrateAndVerifyAsync(string workflow, bool keepSourceCopies)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        var writer = await h.StartWriterAsync(ct);
        await Task.Delay(500, ct); // some writes before the migration starts, too
        // The unused disk has a restore point of the site's own: its source copy must be kept (renamed), never destroyed.
        await h.Lab.Zfs(MigrationHarness.Source).SnapshotAsync(h.SourceDisk(2).Dataset!, "site-backup", ct);

        var json = MigrationHarness.WorkflowJson(workflow, w =>
        {
            if (keepSourceCopies)
            {
                MigrationHarness.SetInput(w, "cleanup", "keepSourceLocalDisks", "Boolean", true);
                return;
            }
            // Removed source copies leave nothing to compare with afterwards: compare every byte at the pause instead.
            MigrationHarness.Insert(w, "completeMirror", "resumeTarget", new JsonObject
            {
                ["id"] = "verifyDisks",
                ["type"] = "VmMigration.VerifyDisks",
                ["mode"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "Full" } },
            });
        });
        var (id, status) = await h.RunAsync(json, ct);
        await writer.DisposeAsync();
        var journal = await h.JournalAsync(id, ct);
        output.WriteLine($"writer: {writer.Writes} writes, {writer.BytesWritten} bytes, {writer.SkippedWhilePaused} skipped while paused");

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted);
        Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);
        Assert.True(writer.Writes > 20, $"the writer wrote only {writer.Writes} times");

        // The VM runs on the target only.
        Assert.False(MigrationHarness.QemuAlive(h.SourcePaths.PidFile), "the source QEMU is still alive");
        Assert.True(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "the target QEMU is not alive");
        var target = await h.Pool.GetAsync(h.TargetPaths.QmpSocket, ct);
        Assert.Equal(RunState.Running, (await target.Client.QueryStatusAsync(ct)).Status);
        var targetBlock = await target.Client.QueryNamedBlockNodesAsync(ct);
        Assert.DoesNotContain(targetBlock, n => n.DirtyBitmaps.Count > 0);

        // Byte for byte: every disk (replicated, local, unused), against the source's kept copies or at the pause.
        var (replicatedSame, replicatedText) = await h.CompareAsync(h.SourceDisk(0).Path, h.TargetDisk(0).Path, ct);
        Assert.True(replicatedSame, $"drive0 differs: {replicatedText}");
        var cleanupData = journal.Single(e => e.ActivityId == "cleanup" && e.Kind == JournalKind.Message).Data!;
        output.WriteLine("source copies: " + cleanupData["sourceCopies"]!.ToJsonString());
        for (var i = 1; i < 3; i++)
        {
            var source = h.SourceDisk(i);
            Assert.False(await h.DatasetExistsAsync(MigrationHarness.Source, source.Dataset!, ct), $"drive{i}'s source copy is still under its name");
            var kept = keepSourceCopies || i == 2; // drive2 holds a snapshot of the site's own
            Assert.Equal(kept, await h.DatasetExistsAsync(MigrationHarness.Source, Ownership.KeptName(source.Dataset!, id), ct));
            if (i == 2) Assert.Contains("site-backup", await h.SnapshotsAsync(MigrationHarness.Source, Ownership.KeptName(source.Dataset!, id), ct));
            if (!kept) continue;
            var (same, text) = await h.CompareAsync(h.KeptSourcePath(i, id), h.TargetDisk(i).Path, ct);
            Assert.True(same, $"drive{i} differs from the kept source copy: {text}");
        }
        if (!keepSourceCopies)
        {
            var verify = journal.Last(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.ActivityCompleted);
            Assert.Equal("Done", verify.Outcome);
        }

        // Nothing the migration created is left in the ledger; the replication base moved to the migration snapshot.
        var ledger = await h.LedgerAsync(id, ct);
        Assert.All(ledger, e => Assert.NotNull(e.ReleasedAt));
        var sourceSnaps = await h.SnapshotsAsync(MigrationHarness.Source, h.SourceDisk(0).Dataset!, ct);
        var targetSnaps = await h.SnapshotsAsync(MigrationHarness.Target, h.TargetDisk(0).Dataset!, ct);
        Assert.Contains(sourceSnaps, s => s.StartsWith("elsa-mig-", StringComparison.Ordinal));
        Assert.Equal(sourceSnaps.Last(), targetSnaps.Last());

        // BitmapMirror says what it did; the bytes it copied are the dirty bytes, not the disk.
        var bitmap = journal.Single(e => e.ActivityId == "bitmapMirror" && e.Kind == JournalKind.Message);
        Assert.Equal("BackupPasses", bitmap.Data!["strategy"]!.GetValue<string>());
        var dirty = bitmap.Data["dirtyBytes"]!.GetValue<long>();
        var copied = bitmap.Data["bytesCopied"]!.GetValue<long>();
        output.WriteLine($"BitmapMirror: dirty {dirty}, copied {copied}, disk {MigrationHarness.ReplicatedSize}");
        Assert.InRange(copied, dirty, dirty + (1L << 20));
        Assert.True(copied < MigrationHarness.ReplicatedSize / 4, $"BitmapMirror copied {copied} bytes of a {MigrationHarness.ReplicatedSize}-byte disk");
        var summary = journal.Single(e => e.ActivityId == "resumeTarget" && e.Message?.StartsWith("VM vm1 runs on", StringComparison.Ordinal) == true);
        output.WriteLine(summary.Message);
        var cleanup = journal.Single(e => e.ActivityId == "cleanup" && e.Kind == JournalKind.Message);
        Assert.Contains("source QEMU quit", cleanup.Message);
    }
}
