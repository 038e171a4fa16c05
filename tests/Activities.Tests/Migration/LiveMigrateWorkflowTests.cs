using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The shipped procedures, end to end on real QEMU (TCG) and real zfs-fuse, through the real runtime, with a guest-like
/// writer writing to the source disks the whole time. Proof of "target equals source at switchover": the writer only
/// writes while the source vCPUs run and shares the migration's QMP connection, so the source disk is frozen from the
/// switchover STOP on (the source then quits in Cleanup); a byte-for-byte equal target therefore equals the source at
/// switchover.
/// </summary>
[Collection("zfs")]
public sealed class LiveMigrateWorkflowTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public Task LiveMigrateJson_WithWritesThroughout_ShouldMoveTheVmWithIdenticalDisksAndLeaveNothingOnTheSource() =>
        MigrateAndVerifyAsync("live-migrate.json");

    [Fact(Timeout = 300_000)]
    public Task LiveMigrateFreezeJson_InPauseMode_ShouldMoveTheVmWithIdenticalDisksAndLeaveNothingOnTheSource() =>
        MigrateAndVerifyAsync("live-migrate-freeze.json");

    private async Task MigrateAndVerifyAsync(string workflow)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        var writer = await h.StartWriterAsync(ct);
        await Task.Delay(500, ct); // some writes before the migration starts, too

        var (id, status) = await h.RunAsync(MigrationHarness.WorkflowJson(workflow), ct);
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

        // Byte for byte: every disk (replicated, local, unused).
        for (var i = 0; i < 3; i++)
        {
            var (same, text) = await h.CompareAsync(h.SourceDisk(i).Path, h.TargetDisk(i).Path, ct);
            Assert.True(same, $"drive{i} differs: {text}");
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
