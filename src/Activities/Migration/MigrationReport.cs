using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// The figures of a finished switchover for the journal, from the migration's state: the RAM migration and the
/// switchover work, one line per copied disk (strategy, bytes copied, passes, the ZFS stream), and the downtime.
/// The demo, the benchmark and the tests read these entries.
/// </summary>
internal static class MigrationReport
{
    public static async Task JournalAsync(MigrationScope scope, MigrationInfo info)
    {
        var (plan, state, context) = (scope.Plan, scope.State, scope.Context);
        var switchover = state.Switchover;
        await context.JournalAsync(
            $"RAM migrated in {state.Ram?.Ms:0} ms ({state.Ram?.Passes} passes); " +
            $"at switchover the first command went out {switchover?.ReactionMs:0.00} ms after the event, the disks took {switchover?.DisksMs:0.0} ms " +
            $"and the switchover {switchover?.WorkMs:0.0} ms",
            new JsonObject
            {
                ["ramPasses"] = state.Ram?.Passes,
                ["ramMs"] = state.Ram?.Ms,
                ["reactionMs"] = switchover?.ReactionMs,
                ["switchoverDisksMs"] = switchover?.DisksMs,
                ["switchoverMs"] = switchover?.WorkMs,
                ["lastPassMarkMs"] = state.Converged?.LastPassMarkMs,
            });
        foreach (var disk in plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared))
        {
            var copy = state.CopyOf(disk);
            await context.JournalAsync(
                $"Disk {disk.DeviceId}: {disk.Kind}, {(copy.Strategy?.ToString() ?? "Mirror")}, {copy.BytesCopied} bytes copied of {disk.SizeBytes}" +
                (copy.Strategy == BitmapStrategy.BackupPasses ? $" in {copy.Passes} passes (final pass {copy.FinalPassBytes} bytes in {copy.FinalPassMs:0.0} ms)" : ""),
                new JsonObject
                {
                    ["disk"] = disk.DeviceId,
                    ["strategy"] = copy.Strategy?.ToString() ?? "Mirror",
                    ["bytesCopied"] = copy.BytesCopied,
                    ["diskSize"] = disk.SizeBytes,
                    ["initialDirtyBytes"] = copy.InitialDirtyBytes,
                    ["passes"] = copy.Passes,
                    ["finalPassBytes"] = copy.FinalPassBytes,
                    ["finalPassMs"] = copy.FinalPassMs,
                    ["replicationBytes"] = state.Replication.GetValueOrDefault(disk.DeviceId)?.Bytes,
                });
        }
        var pause = state.Resumed?.GuestPauseMs;
        await context.JournalAsync($"VM {plan.VmId} runs on {plan.TargetNode}; QEMU downtime {info.DowntimeMs} ms, guest pause {pause:0.0} ms" +
            (state.VerifyDisksMs is { } verify ? $" (of which VerifyDisks {verify:0} ms)" : ""),
            new JsonObject { ["downtimeMs"] = info.DowntimeMs, ["guestPauseMs"] = pause, ["totalTimeMs"] = info.TotalTimeMs, ["verifyDisksMs"] = state.VerifyDisksMs });
        await Preflight.EstimateComparison.JournalAsync(scope, info);
    }
}
