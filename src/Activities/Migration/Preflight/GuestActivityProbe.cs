using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Preflight;

/// <summary>The guest's RAM, how fast it dirties it and how fast it writes each disk (by drive id), measured over one sample.</summary>
internal sealed record GuestActivity(long RamBytes, long RamDirtyBytesPerSecond, int SampleSeconds, IReadOnlyDictionary<string, double> WriteBytesPerSecond);

/// <summary>
/// Measures the running guest without changing it: <c>calc-dirty-rate</c> in page-sampling mode (QEMU hashes sampled
/// pages over <see cref="SampleSeconds"/>; its shortest period on QEMU 7.2, which counts in whole seconds) and
/// <c>query-blockstats</c> before and after the same period. Never the <c>dirty-bitmap</c> or <c>dirty-ring</c>
/// modes: <c>dirty-bitmap</c> crashed QEMU 7.2 under TCG here (segfault), and both touch the migration's dirty logging.
/// </summary>
internal static class GuestActivityProbe
{
    public const int SampleSeconds = 1;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MeasureTimeout = TimeSpan.FromSeconds(5);

    public static async Task<GuestActivity> MeasureAsync(QmpClient qmp, TimeProvider time, CancellationToken ct)
    {
        var memory = await qmp.ExecuteAsync("query-memory-size-summary", cancellationToken: ct);
        var ram = (memory?["base-memory"]?.GetValue<long>() ?? 0) + (memory?["plugged-memory"]?.GetValue<long>() ?? 0);
        if ((await qmp.QueryStatusAsync(ct)).Status != RunState.Running)
            return new GuestActivity(ram, 0, 0, new Dictionary<string, double>()); // paused: nothing dirties RAM or disks
        var before = await WrittenAsync(qmp, ct);
        var started = time.GetTimestamp();
        await qmp.ExecuteAsync("calc-dirty-rate", new JsonObject { ["calc-time"] = SampleSeconds }, cancellationToken: ct);
        await Task.Delay(TimeSpan.FromSeconds(SampleSeconds), time, ct);
        JsonNode? rate;
        while ((rate = await qmp.ExecuteAsync("query-dirty-rate", cancellationToken: ct))?["status"]?.GetValue<string>() != "measured")
        {
            if (time.GetElapsedTime(started) > MeasureTimeout)
                throw new TimeoutException($"QEMU did not finish measuring the dirty rate within {MeasureTimeout.TotalSeconds:0} s (status {rate?["status"]}).");
            await Task.Delay(PollInterval, time, ct);
        }
        var seconds = Math.Max(time.GetElapsedTime(started).TotalSeconds, 1e-3);
        var after = await WrittenAsync(qmp, ct);
        var writes = after.ToDictionary(p => p.Key, p => Math.Max(0, p.Value - before.GetValueOrDefault(p.Key)) / seconds);
        // dirty-rate is in MiB/s (QEMU: dirty pages x page size / 2^20 / seconds).
        return new GuestActivity(ram, (rate?["dirty-rate"]?.GetValue<long>() ?? 0) << 20, SampleSeconds, writes);
    }

    /// <summary>Bytes written so far per drive id (<c>query-blockstats</c> <c>wr_bytes</c>).</summary>
    private static async Task<Dictionary<string, long>> WrittenAsync(QmpClient qmp, CancellationToken ct)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        if (await qmp.ExecuteAsync("query-blockstats", cancellationToken: ct) is not JsonArray stats) return result;
        foreach (var entry in stats)
            if (entry?["device"]?.GetValue<string>() is { Length: > 0 } device && entry["stats"]?["wr_bytes"]?.GetValue<long>() is { } written)
                result[device] = written;
        return result;
    }
}
