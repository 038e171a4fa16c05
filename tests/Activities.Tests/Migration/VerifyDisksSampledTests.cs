using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// VerifyDisks on guest-less VMs (real QEMU TCG + zfs-fuse, the shipped live-migrate-freeze-verify.json in pause mode):
/// Sampled mode compares the regions the last copy pass wrote, read from the target's dirty bitmaps over NBD, and finds
/// damage there that its random sample alone would miss.
/// </summary>
[Collection("zfs")]
public sealed class VerifyDisksSampledTests(ITestOutputHelper output)
{
    private const long Region = 1L << 20;

    [Theory(Timeout = 300_000)]
    [InlineData("Sampled")]
    [InlineData("Full")]
    public async Task VerifyDisks_OnAMigrationWithWritesThroughout_ShouldReportIdenticalDisksAndWhatTheLastPassWrote(string mode)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        var writer = await h.StartWriterAsync(ct);
        await Task.Delay(500, ct);
        var json = MigrationHarness.WorkflowJson("live-migrate-freeze-verify.json", w =>
        {
            MigrationHarness.SetInput(w, "freezeGuest", "mode", "String", "Pause");
            MigrationHarness.SetInput(w, "verifyDisks", "mode", "String", mode);
            MigrationHarness.SetInput(w, "verifyDisks", "sampleRegions", "Int32", 8);
            MigrationHarness.SetInput(w, "cleanup", "keepSourceLocalDisks", "Boolean", true); // compared below
        });

        var (id, status) = await h.RunAsync(json, ct);
        await writer.DisposeAsync();
        var journal = await h.JournalAsync(id, ct);
        output.WriteLine($"writer: {writer.Writes} writes, {writer.BytesWritten} bytes");

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.DoesNotContain(journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);
        var verify = journal.Single(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.Message).Data!;
        Assert.True(verify["identical"]!.GetValue<bool>());
        var disks = verify["disks"]!.AsArray().ToDictionary(d => d!["disk"]!.GetValue<string>(), d => d!);
        Assert.All(disks.Values, d => Assert.True(d["tracked"]!.GetValue<bool>()));
        var disk = journal.Single(e => e.ActivityId == "resumeTarget" && e.Data?["disk"]?.GetValue<string>() == "vd0").Data!;
        var finalPassBytes = disk["finalPassBytes"]!.GetValue<long>();
        if (mode == "Sampled")
        {
            // The replicated disk's last-pass bitmap on the target holds what the copies wrote after convergence (the
            // follow mirror through the RAM migration, then the final pass: same 64 KiB granularity), so at least the final
            // pass; its copied-bitmap at least what the first pass found dirty.
            Assert.True(disks["vd0"]["lastPassBytes"]!.GetValue<long>() >= finalPassBytes, "the last-pass bitmap misses what the final pass copied");
            Assert.True(disks["vd0"]["copiedBytes"]!.GetValue<long>() >= disk["initialDirtyBytes"]!.GetValue<long>());
            Assert.True(disks["vd0"]["copiedRegions"]!.GetValue<long>() > 0);
            Assert.True(verify["lastPassRegions"]!.GetValue<long>() > 0, "the writer wrote throughout, but no region came from the last copy pass");
            Assert.Equal(8, disks["vd1"]["randomRegions"]!.GetValue<long>());
            Assert.True(verify["regionsCompared"]!.GetValue<long>() < (MigrationHarness.ReplicatedSize + MigrationHarness.LocalSize) / Region);
        }
        else
        {
            Assert.Equal((MigrationHarness.ReplicatedSize + MigrationHarness.LocalSize) / Region, verify["regionsCompared"]!.GetValue<long>());
        }

        // Independently of VerifyDisks: the disks are identical, and nothing of the check is left on the running target.
        Assert.True((await h.CompareAsync(h.SourceDisk(0).Path, h.TargetDisk(0).Path, ct)).Identical, "drive0 differs");
        Assert.True((await h.CompareAsync(h.KeptSourcePath(1, id), h.TargetDisk(1).Path, ct)).Identical, "drive1 differs from the kept source copy");
        var target = await h.Pool.GetAsync(h.TargetPaths.QmpSocket, ct);
        Assert.DoesNotContain(await target.Client.QueryNamedBlockNodesAsync(ct), n => n.DirtyBitmaps.Count > 0);
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        var summary = journal.Single(e => e.ActivityId == "resumeTarget" && e.Message?.StartsWith("VM vm1 runs on", StringComparison.Ordinal) == true).Data!;
        output.WriteLine($"NUMBERS {mode}: verify {verify["downtimeCostMs"]} ms (bitmaps read {verify["bitmapReadMs"]} ms), " +
            $"{verify["regionsCompared"]} regions, {verify["bytesCompared"]} bytes, last-pass regions {verify["lastPassRegions"]}, " +
            $"vd0 final pass {finalPassBytes} bytes, last-pass mark at switchover {verify["lastPassMarkMs"]} ms, " +
            $"QEMU downtime {summary["downtimeMs"]} ms, guest pause {summary["guestPauseMs"]} ms");
    }

    [Fact(Timeout = 300_000)]
    public async Task VerifyDisksSampled_WhenARegionTheLastPassWroteIsDamagedOnTheTarget_ShouldFindItAlthoughItsRandomSampleMissesIt()
    {
        const int seed = 20240611, samples = 4;
        var total = MigrationHarness.ReplicatedSize / Region;
        var random = DiskComparer.RandomRegions(total, samples, new Random(seed));
        // A region neither the random sample nor the first/last pick: only the last-pass bitmap can bring it in.
        var damaged = Enumerable.Range(20, 30).Select(r => (long)r).First(r => !random.Contains(r));
        var offset = damaged * Region + (64L << 10);
        Assert.DoesNotContain(damaged, DiskComparer.SampledRuns(MigrationHarness.ReplicatedSize, Region, samples, [0, total - 1], new Random(seed))
            .SelectMany(run => Enumerable.Range(0, (int)run.Count).Select(i => run.First + i)));

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4.5));
        var ct = cts.Token;
        await using var h = await MigrationHarness.CreateAsync(output, ct);
        var json = MigrationHarness.WorkflowJson("live-migrate-freeze-verify.json", w =>
        {
            MigrationHarness.SetInput(w, "freezeGuest", "mode", "String", "Pause");
            MigrationHarness.SetInput(w, "verifyDisks", "mode", "String", "Sampled");
            MigrationHarness.SetInput(w, "verifyDisks", "sampleRegions", "Int32", samples);
            MigrationHarness.SetInput(w, "verifyDisks", "seed", "Int32", seed);
            // A step of our own between LiveMigrate and CompleteMirror: the switchover must wait for CompleteMirror.
            MigrationHarness.SetInput(w, "liveMigrate", "switchoverAtOnce", "Boolean", false);
            MigrationHarness.Insert(w, "liveMigrate", "completeMirror", new JsonObject
            {
                ["id"] = "writeAtSwitchover",
                ["type"] = "Test.WriteSourceAtSwitchover",
                ["drive"] = Literal("String", "drive0"),
                ["offset"] = Literal("Int64", offset),
                ["length"] = Literal("Int64", 64L << 10),
            });
            MigrationHarness.Insert(w, "completeMirror", "verifyDisks", new JsonObject
            {
                ["id"] = "damage",
                ["type"] = "Test.CorruptTargetDisk",
                ["disk"] = Literal("String", "vd0"),
                ["offset"] = Literal("Int64", offset),
            });
        });

        var (id, status) = await h.RunAsync(json, ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        var verify = journal.Single(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.Message).Data!;
        Assert.False(verify["identical"]!.GetValue<bool>());
        Assert.Equal(seed, verify["seed"]!.GetValue<int>());
        var vd0 = verify["disks"]!.AsArray().Single(d => d!["disk"]!.GetValue<string>() == "vd0")!;
        Assert.Equal(1, vd0["differentRegions"]!.GetValue<long>());
        Assert.Equal(damaged * Region, vd0["differentOffsets"]![0]!.GetValue<long>());
        Assert.Equal(64L << 10, vd0["lastPassBytes"]!.GetValue<long>());
        Assert.Equal(1, vd0["lastPassRegions"]!.GetValue<long>());
        Assert.Equal(samples, vd0["randomRegions"]!.GetValue<long>());

        // Different goes to Rollback: the VM runs on the source again and nothing of the migration is left.
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "'verifyDisks' (VmMigration.VerifyDisks) ended Different", ct);
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        Assert.DoesNotContain(await source.Client.QueryNamedBlockNodesAsync(ct), n => n.DirtyBitmaps.Count > 0);
        Assert.False(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "a target QEMU is alive");
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        output.WriteLine($"found damage in region {damaged} (random sample: {string.Join(",", random.Order())}); cost {verify["downtimeCostMs"]} ms");
    }

    private static JsonObject Literal(string type, JsonNode value) =>
        new() { ["typeName"] = type, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
}
