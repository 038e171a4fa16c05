using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 5b: copies only the blocks written since the replication snapshot (the dirty bitmap) of every attached
/// replicated disk on top of its replica on the target. Native bitmap mirror where this QEMU offers it
/// (<c>query-qmp-schema</c> shows a <c>bitmap</c> member on <c>blockdev-mirror</c>), else bitmap-driven
/// <c>blockdev-backup</c> passes. Never a silent full copy: a missing bitmap or an unavailable strategy fails the step.
/// </summary>
[Activity("VmMigration", "VM Migration", "Copies only the dirty blocks of replicated disks onto the target's replica (native bitmap mirror or backup passes).")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class BitmapMirror : CodeActivity
{
    [Input(Description = "Auto: native bitmap mirror when QEMU has it, else backup passes. Native: require it. BackupPasses: always passes.",
        DefaultValue = BitmapStrategy.Auto)]
    public Input<BitmapStrategy>? Strategy { get; set; }

    [Input(Description = "Bandwidth limit per disk in bytes per second (0 = unlimited).", DefaultValue = 0L)]
    public Input<long>? BandwidthBytesPerSecond { get; set; }

    [Input(Description = "Longest time one copy pass may take.", DefaultValue = 600, ZeroOrLessMeansDefault = true)]
    public Input<int>? PassTimeoutSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var disks = scope.Plan.AttachedDisks.Where(d => d.Kind == MigrationDiskKind.Replicated).ToList();
        if (disks.Count == 0)
        {
            await context.JournalAsync("No attached replicated disk: nothing to copy incrementally");
            return;
        }
        var qmp = await scope.SourceAsync();
        var capabilities = await qmp.Client.QueryCapabilitiesAsync(scope.Token);
        var requested = context.Get(Strategy);
        var strategy = StrategyChoice.Choose(requested, capabilities);
        var speed = context.Get(BandwidthBytesPerSecond) is > 0 and var s ? s : (long?)null;
        var timeout = TimeSpan.FromSeconds(context.Get(PassTimeoutSeconds));

        foreach (var disk in disks)
        {
            var dirty = await BackupPass.DirtyBytesAsync(qmp, disk, scope.Token); // fails when the bitmap is gone
            var copy = scope.State.CopyOf(disk);
            copy.Strategy = strategy;
            copy.InitialDirtyBytes = dirty;
            await MirrorSetup.ConnectNbdAsync(scope, qmp, disk);
            await MirrorSetup.RequireNoForeignJobAsync(scope, qmp, disk);
            if (strategy == BitmapStrategy.Native)
            {
                copy.JobEventMark = qmp.Mark();
                var entry = await scope.RecordAsync(LedgerKinds.BlockJob, scope.Plan.SourceNode, disk.JobId, new JsonObject { ["disk"] = disk.DeviceId, ["type"] = "mirror" });
                await qmp.Client.BlockdevMirrorAsync(new BlockdevMirrorOptions(disk.JobId, disk.NodeName, disk.NbdClientNode, SyncMode.Bitmap)
                {
                    Bitmap = disk.BitmapName,
                    BitmapMode = BitmapSyncMode.Never,
                    Speed = speed,
                }, scope.Token);
                await scope.ConfirmAsync(entry);
                await context.JournalAsync($"BitmapMirror {disk.DeviceId}: strategy Native (blockdev-mirror sync:bitmap), {dirty} dirty bytes of {disk.SizeBytes}",
                    Data(disk, strategy, requested, dirty, 0));
                continue;
            }
            var pass = await BackupPass.RunRecordedAsync(scope, qmp, disk, speed, timeout);
            await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", copy.BytesCopied, dirty, "bytes", pass.Rate, "first bitmap pass"));
            await context.JournalAsync(
                $"BitmapMirror {disk.DeviceId}: strategy BackupPasses (blockdev-backup sync:bitmap, requested {requested}); " +
                $"pass 1 copied {pass.BytesCopied} bytes ({dirty} dirty, disk {disk.SizeBytes}) in {pass.Elapsed.TotalMilliseconds:0} ms",
                Data(disk, strategy, requested, dirty, pass.BytesCopied, Math.Round(pass.Elapsed.TotalMilliseconds, 1)));
        }
        scope.SaveState();
    }

    // passMs: the first pass's time, what one pass's writes are measured by (bench migration) when it was the only one.
    private static JsonObject Data(DiskPlan disk, BitmapStrategy strategy, BitmapStrategy requested, long dirty, long copied, double? passMs = null)
    {
        var data = new JsonObject
        {
            ["disk"] = disk.DeviceId,
            ["strategy"] = strategy.ToString(),
            ["requested"] = requested.ToString(),
            ["dirtyBytes"] = dirty,
            ["bytesCopied"] = copied,
            ["diskSize"] = disk.SizeBytes,
        };
        if (passMs is not null) data["passMs"] = passMs;
        return data;
    }
}
