using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>
/// After the switchover: Preflight's estimate next to what happened, in the journal (per disk the ZFS stream and the
/// copy, bytes; the copy phase, the RAM, the downtime and the whole, times), and the node pair's rate this migration
/// achieved kept for the next plan (<see cref="ILinkRates"/>): every byte moved (streams, copies, RAM) over the time
/// from the plan to the switchover, so a later estimate of similar migrations comes out at their real duration.
/// </summary>
internal static class EstimateComparison
{
    public static async Task JournalAsync(MigrationScope scope, MigrationInfo info)
    {
        var (plan, state, context) = (scope.Plan, scope.State, scope.Context);
        if (plan.Estimate is not { } estimate || plan.StartedAt is not { } planned || state.Ram is not { } ram) return;
        var now = context.Time.GetUtcNow();
        var disks = new JsonArray();
        var lines = new List<string>();
        long moved = info.Ram?.Transferred ?? 0;
        foreach (var disk in estimate.Disks.Where(d => d.BytesToSend > 0))
        {
            var zfs = state.Replication.GetValueOrDefault(disk.DeviceId)?.Bytes;
            var copied = state.Copies.GetValueOrDefault(disk.DeviceId)?.BytesCopied ?? 0;
            var actual = (zfs ?? 0) + copied;
            moved += actual;
            lines.Add($"{disk.DeviceId} {disk.BytesToSend}/{actual} B{Error(disk.BytesToSend, actual)}");
            disks.Add(new JsonObject
            {
                ["disk"] = disk.DeviceId,
                ["estimatedZfsBytes"] = disk.ZfsStreamBytes,
                ["actualZfsBytes"] = zfs,
                ["estimatedCopyBytes"] = disk.CopyBytes,
                ["actualCopyBytes"] = copied,
                ["estimatedBytes"] = disk.BytesToSend,
                ["actualBytes"] = actual,
            });
        }
        var ramStarted = ram.SwitchoverAt - TimeSpan.FromMilliseconds(ram.Ms);
        var copySeconds = (ramStarted - planned).TotalSeconds;
        var totalSeconds = (now - planned).TotalSeconds;
        await context.JournalAsync(
            $"Estimate/actual: {string.Join(", ", lines)}; copy {Seconds(estimate.CopySeconds)}/{Seconds(copySeconds)}, RAM {Seconds(estimate.RamSeconds)}/{Seconds(ram.Ms / 1000)}, " +
            $"downtime {estimate.DowntimeMs:0}/{info.DowntimeMs} ms, total {Seconds(estimate.TotalSeconds)}/{Seconds(totalSeconds)}",
            new JsonObject
            {
                ["event"] = "estimate-vs-actual",
                ["disks"] = disks,
                ["copySeconds"] = Pair(estimate.CopySeconds, copySeconds),
                ["ramSeconds"] = Pair(estimate.RamSeconds, ram.Ms / 1000),
                ["downtimeMs"] = Pair(estimate.DowntimeMs, info.DowntimeMs),
                ["totalSeconds"] = Pair(estimate.TotalSeconds, totalSeconds),
                ["linkBytesPerSecond"] = estimate.LinkBytesPerSecond,
            });
        var seconds = (ram.SwitchoverAt - planned).TotalSeconds;
        if (seconds > 0 && moved > 0 && context.Services.GetService(typeof(ILinkRates)) is ILinkRates rates)
            await rates.RecordAsync(plan.SourceNode, plan.TargetNode, moved / seconds, context.InstanceId, scope.Token);
    }

    private static JsonObject Pair(double? estimated, double? actual) => new() { ["estimated"] = estimated, ["actual"] = actual };

    private static string Error(long estimated, long actual) =>
        actual == 0 ? "" : $" ({(estimated - actual) * 100.0 / actual:+0.0;-0.0;0} %)";

    private static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-";
}
