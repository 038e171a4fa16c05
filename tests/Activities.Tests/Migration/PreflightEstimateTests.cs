using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Preflight's byte estimates against what the migration then moved, on the real lab (zfs-fuse: no <c>written@</c>, so
/// the stream is estimated from the snapshot's space; QEMU 7.2 TCG): the replicated disk's ZFS stream and the local
/// disk's mirror within 10 %. Times are only written to the output (the README reports their error).
/// </summary>
[Collection("zfs")]
public sealed class PreflightEstimateTests(ITestOutputHelper output)
{
    [Theory(Timeout = 300_000)]
    [InlineData(2L << 20)]
    [InlineData(12L << 20)]
    public async Task Estimated_bytes_are_within_10_percent_of_what_the_migration_sent(long dirtyBytes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cts.Token;
        await using var lab = await MigrationLab.CreateAsync(512L << 20, ct);
        await lab.CreateVmAsync("est1", [(DiskKind.Replicated, 64L << 20), (DiskKind.Local, 32L << 20)], ct);
        await lab.DirtyAsync("est1", 0, dirtyBytes, ct);
        await lab.WaitForSnapshotSpaceAsync("est1", 0, dirtyBytes, ct);
        await lab.StartVmAsync("est1", ct);

        var (id, status) = await lab.RunMigrationAsync(MigrationHarness.WorkflowJson("live-migrate.json", _ => { }), "est1", ct);
        var journal = await lab.JournalAsync(id, ct);
        foreach (var line in journal.Where(e => e.ActivityId is "preflight" or "resumeTarget" && e.Kind == JournalKind.Message)) output.WriteLine(line.ToString());
        Assert.Equal(WorkflowStatus.Finished, status);

        var comparison = journal.Single(e => e.Data?["event"]?.GetValue<string>() == "estimate-vs-actual").Data!;
        var disks = comparison["disks"]!.AsArray().ToDictionary(d => d!["disk"]!.GetValue<string>(), d => d!);
        var (zfsEstimate, zfsActual) = (disks["vd0"]["estimatedZfsBytes"]!.GetValue<long>(), disks["vd0"]["actualZfsBytes"]!.GetValue<long>());
        var (copyEstimate, copyActual) = (disks["vd1"]["estimatedCopyBytes"]!.GetValue<long>(), disks["vd1"]["actualCopyBytes"]!.GetValue<long>());
        output.WriteLine($"dirty {dirtyBytes}: ZFS stream estimated {zfsEstimate}, sent {zfsActual} ({Error(zfsEstimate, zfsActual):+0.0;-0.0} %); " +
                         $"mirror estimated {copyEstimate}, copied {copyActual} ({Error(copyEstimate, copyActual):+0.0;-0.0} %)");
        output.WriteLine($"times (estimated/actual): copy {comparison["copySeconds"]!.ToJsonString()}, RAM {comparison["ramSeconds"]!.ToJsonString()}, " +
                         $"downtime {comparison["downtimeMs"]!.ToJsonString()}, total {comparison["totalSeconds"]!.ToJsonString()}");
        Assert.InRange(Error(zfsEstimate, zfsActual), -10, 10);
        Assert.InRange(Error(copyEstimate, copyActual), -10, 10);
    }

    private static double Error(long estimated, long actual) => (estimated - actual) * 100.0 / actual;
}
