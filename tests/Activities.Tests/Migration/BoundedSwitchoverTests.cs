using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The switchover's cost does not grow with the RAM migration: a writer writes to the replicated disk at a fixed rate
/// while the RAM migration is slowed to seconds by its bandwidth limit; the follow mirror copies those writes as they
/// happen, so the final pass inside the pause carries only what was written between the last backup pass and the
/// mirror's start, not what was written while the RAM migrated. Real QEMU (TCG), real zfs-fuse, the shipped procedure.
/// </summary>
[Collection("zfs")]
public sealed class BoundedSwitchoverTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task FinalPass_WithARamMigrationOfSeconds_ShouldCarryLessThanATenthOfWhatWasWrittenMeanwhile()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        await using var writer = await h.StartReplicatedDiskWriterAsync(TimeSpan.FromMilliseconds(5), ct);
        var source = await h.SourceSessionAsync(ct);
        long? writtenAtStart = null, writtenAtSwitchover = null;
        // The writer's count when the RAM migration starts and when the source stops at pre-switchover.
        using var watch = source.Client.Subscribe(e =>
        {
            if (e is MigrationEvent { Status: MigrationStatus.Setup }) writtenAtStart ??= writer.BytesWritten;
            else if (e is MigrationEvent { Status: MigrationStatus.PreSwitchover }) writtenAtSwitchover ??= writer.BytesWritten;
        });
        var json = MigrationHarness.WorkflowJson("live-migrate.json", w =>
        {
            // Zero pages cost a few bytes each: 200 KB/s makes the guest-less VM's RAM take seconds.
            MigrationHarness.SetInput(w, "liveMigrate", "maxBandwidthBytesPerSecond", "Int64", 200_000L);
            MigrationHarness.SetInput(w, "cleanup", "keepSourceLocalDisks", "Boolean", true);
        });

        var (id, status) = await h.RunAsync(json, ct);
        await writer.DisposeAsync();
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.NotNull(writtenAtStart);
        Assert.NotNull(writtenAtSwitchover);
        var writtenDuringRam = writtenAtSwitchover.Value - writtenAtStart.Value;
        var ram = journal.Single(e => e.ActivityId == "resumeTarget" && e.Data?["ramMs"] is not null).Data!;
        var disk = journal.Single(e => e.ActivityId == "resumeTarget" && e.Data?["disk"]?.GetValue<string>() == "vd0").Data!;
        var finalPass = disk["finalPassBytes"]!.GetValue<long>();
        var converged = journal.Single(e => e.ActivityId == "waitConvergence" && e.Kind == JournalKind.Message).Data!["disks"]!.AsArray()
            .Single(d => d!["disk"]!.GetValue<string>() == "vd0")!;
        output.WriteLine($"RAM migration {ram["ramMs"]} ms; written meanwhile {writtenDuringRam} bytes; final pass {finalPass} bytes in {disk["finalPassMs"]} ms; " +
            $"reaction to pre-switchover {ram["reactionMs"]} ms; switchover {ram["switchoverMs"]} ms; follow mirror {converged["followMirror"]}");
        var summary = journal.Single(e => e.ActivityId == "resumeTarget" && e.Message?.StartsWith("VM vm1 runs on", StringComparison.Ordinal) == true).Data!;
        output.WriteLine($"QEMU downtime {summary["downtimeMs"]} ms, guest pause {summary["guestPauseMs"]} ms");

        Assert.True(ram["ramMs"]!.GetValue<double>() > 2000, $"the RAM migration took only {ram["ramMs"]} ms: not the case under test");
        Assert.True(converged["followMirror"]!.GetValue<bool>(), "the replicated disk was not followed by a mirror through the RAM migration");
        Assert.True(writtenDuringRam > 1L << 20, $"only {writtenDuringRam} bytes were written during the RAM migration");
        Assert.True(finalPass * 10 < writtenDuringRam, $"the final pass copied {finalPass} bytes, not under a tenth of the {writtenDuringRam} written during the RAM migration");
        var (same, text) = await h.CompareAsync(h.SourceDisk(0).Path, h.TargetDisk(0).Path, ct);
        Assert.True(same, $"drive0 differs: {text}");
    }
}
