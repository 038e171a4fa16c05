using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Persistence;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// VerifyDisks' Different port on a real migration of the real guest: a target disk damaged at the pause is found,
/// the shipped procedure rolls back, and the guest resumes writing on the source (QEMU leaves postmigrate on <c>cont</c>).
/// </summary>
[Collection("zfs")]
public sealed class RealGuestVerifyDisksTests(ITestOutputHelper output)
{
    private const long DamagedOffset = 8L << 20;

    [Fact(Timeout = 360_000)]
    public async Task VerifyDisks_WhenATargetDiskDiffersAtThePause_ShouldTakeDifferentAndTheRollbackShouldResumeTheGuestOnTheSource()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5.5));
        var ct = cts.Token;
        await using var h = await RealGuestHarness.CreateAsync(output, ct);
        var json = MigrationHarness.WorkflowJson("live-migrate-freeze-verify.json", InsertDamage);

        var (id, status) = await h.RunAsync(json, ct);
        var journal = await h.JournalAsync(id, ct);

        Assert.Equal(WorkflowStatus.Faulted, status);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityFaulted && e.ActivityType != "Elsa.Fault");
        var verify = journal.Single(e => e.ActivityId == "verifyDisks" && e.Kind == JournalKind.Message).Data!;
        Assert.False(verify["identical"]!.GetValue<bool>());
        var vd1 = verify["disks"]!.AsArray().Single(d => d!["disk"]!.GetValue<string>() == "vd1")!;
        Assert.Equal(1, vd1["differentRegions"]!.GetValue<long>());
        Assert.Equal(DamagedOffset, vd1["differentOffsets"]![0]!.GetValue<long>());
        Assert.Equal(0, verify["disks"]!.AsArray().Single(d => d!["disk"]!.GetValue<string>() == "vd0")!["differentRegions"]!.GetValue<long>());
        Assert.Contains(journal, e => e.ActivityId == "rollback" && e.Message?.StartsWith("Rollback complete", StringComparison.Ordinal) == true);
        await OutcomeAssert.RolledBackAsync(h, id, journal, "'verifyDisks' (VmMigration.VerifyDisks) ended Different", ct);
        Assert.DoesNotContain(journal, e => e.ActivityId == "resumeTarget");

        // The VM runs on the source again, on its own disks; the target QEMU and the local disk's copy are gone.
        var source = await h.Pool.GetAsync(h.SourcePaths.QmpSocket, ct);
        Assert.Equal(RunState.Running, (await source.Client.QueryStatusAsync(ct)).Status);
        Assert.Equal(h.SourceDisk(1).Path, (await source.Client.QueryBlockAsync(ct)).Single(b => b.Device == "drive1").Inserted!.File);
        Assert.False(MigrationHarness.QemuAlive(h.TargetPaths.PidFile), "a target QEMU is alive");
        Assert.False(await h.Lab.Zfs(RealGuestHarness.Target).ExistsAsync(h.TargetDisk(1).Dataset!, ct), "the local disk's target volume exists");
        Assert.All(await h.LedgerAsync(id, ct), e => Assert.NotNull(e.ReleasedAt));
        var console = h.Console(RealGuestHarness.Source);
        var stood = console.ReadLatest()!;
        var moving = await console.WaitForSequenceAboveAsync(stood.Sequence + 10, TimeSpan.FromSeconds(60), ct);
        output.WriteLine($"VerifyDisks cost {verify["downtimeCostMs"]} ms; guest seq {stood.Sequence} after the rollback, {moving.Sequence} later");
    }

    /// <summary>CompleteMirror -> CorruptTargetDisk(vd1 at 8 MiB) -> VerifyDisks.</summary>
    private static void InsertDamage(JsonObject workflow)
    {
        var root = workflow["root"]!;
        root["activities"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "damage",
            ["nodeId"] = "live-migrate-freeze-verify:flow:damage",
            ["name"] = "CorruptTargetDisk",
            ["type"] = "Test.CorruptTargetDisk",
            ["version"] = 1,
            ["customProperties"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
            ["disk"] = Literal("String", "vd1"),
            ["offset"] = Literal("Int64", DamagedOffset),
        });
        var connections = root["connections"]!.AsArray();
        var done = connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == "completeMirror" && c["source"]!["port"]!.GetValue<string>() == "Done")!;
        done["target"]!["activity"] = "damage";
        connections.Add(new JsonObject
        {
            ["source"] = new JsonObject { ["activity"] = "damage", ["port"] = "Done" },
            ["target"] = new JsonObject { ["activity"] = "verifyDisks", ["port"] = "In" },
            ["vertices"] = new JsonArray(),
        });
    }

    private static JsonObject Literal(string type, JsonNode value) =>
        new() { ["typeName"] = type, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
}
