using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Qemu;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Activities.Tests.Lab;

/// <summary>The lab's writer against a real QEMU: what the benchmarks read from it.</summary>
public sealed class GuestLikeWriterTests
{
    [Fact(Timeout = 90000)]
    public async Task SlowestWrite_WhenTheDriveHoldsEachWriteForSeconds_ShouldReportThatWrite()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var fixture = TwoQemuFixture.Create();
        var qmp = await fixture.StartAsync("src", incoming: false, cts.Token);
        var session = new QmpSession("src:qmp.sock", qmp);
        await using (var quick = new GuestLikeWriter(session, [("drive0", 64L << 20)], bytesPerSecond: 1_000_000))
        {
            quick.Start();
            await UntilAsync(() => quick.Writes >= 3, "three writes", cts.Token);
            await quick.DisposeAsync();
            Assert.InRange(quick.SlowestWriteMs, 0.001, 1000);
        }

        // 32 KiB/s for writes on the drive: each 64 KiB write waits about two seconds in QEMU's throttle, as a stalled
        // storage would hold it.
        await qmp.ExecuteAsync("block_set_io_throttle", new JsonObject
        {
            ["device"] = "drive0", ["bps"] = 0, ["bps_rd"] = 0, ["bps_wr"] = 32768, ["iops"] = 0, ["iops_rd"] = 0, ["iops_wr"] = 0,
        }, cancellationToken: cts.Token);
        await using var held = new GuestLikeWriter(session, [("drive0", 64L << 20)], bytesPerSecond: 1_000_000);
        held.Start();
        // The throttle lets its first write through at once (its burst); the next ones wait.
        await UntilAsync(() => held.SlowestWriteMs > 1000, "a write that took over a second with a 32 KiB/s write limit", cts.Token);
        await held.DisposeAsync();
        Assert.InRange(held.SlowestWriteMs, 1000, 20_000);
    }

    /// <summary>Polls <paramref name="done"/> (the writer counts on its own task) for up to 20 s; fails with <paramref name="what"/>.</summary>
    private static async Task UntilAsync(Func<bool> done, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the writer did not make {what} within 20 s");
            await Task.Delay(20, ct);
        }
    }
}
