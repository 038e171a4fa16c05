using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 9: removes the target's NBD exports and server, resumes the VM on the target (<c>cont</c>), and reports
/// QEMU's downtime (<c>query-migrate</c>) and the guest's real pause (source STOP to target RESUME). From here on the
/// VM lives on the target: its QEMU and volumes leave the ledger, and Rollback will never resume the source.
/// </summary>
[Activity("VmMigration", "VM Migration", "Resumes the VM on the target and reports QEMU's downtime and the guest pause.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ResumeTarget : CodeActivity<long>
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        var target = await scope.TargetAsync();
        var exported = plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var status = await target.Client.QueryStatusAsync(scope.Token);
        if (status.Status == RunState.Inmigrate)
        {
            // The source reports completed once it has sent everything; the target may still be loading the state.
            var done = await target.WaitForEventAsync<MigrationEvent>(0,
                e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled,
                TimeSpan.FromSeconds(60), "MIGRATION completed on the target", scope.Token);
            if (done.Status != MigrationStatus.Completed)
                throw new InvalidOperationException($"The target failed to load the migration ({done.Status}): the source keeps the VM.");
            status = await target.Client.QueryStatusAsync(scope.Token);
        }
        if (status.Status != RunState.Running)
        {
            if (status.Status != RunState.Paused)
                throw new InvalidOperationException($"The target QEMU is '{status.Status}', expected 'paused' after the migration completed.");
            foreach (var disk in exported)
                await Tolerant(() => target.Client.BlockExportDelAsync(disk.ExportName, scope.Token));
            if (exported.Count > 0) await Tolerant(() => target.Client.NbdServerStopAsync(scope.Token));
            var mark = target.LastSequence;
            await target.Client.ContAsync(scope.Token);
            await target.WaitForEventAsync<ResumeEvent>(mark, _ => true, TimeSpan.FromSeconds(30), "RESUME on the target", scope.Token);
        }
        plan.TargetRunning = true;
        plan.Write(context);

        // The guest runs again: now the bookkeeping (SQLite) that was kept out of the switchover window.
        await scope.ReleaseAsync(LedgerKinds.TargetQemu, plan.TargetPidFile);
        foreach (var disk in plan.Disks)
            await scope.ReleaseAsync(LedgerKinds.TargetVolume, disk.TargetPath);
        await scope.ReleaseAsync(LedgerKinds.Migration, plan.MigrationUri);
        foreach (var disk in exported)
        {
            await scope.ReleaseAsync(LedgerKinds.NbdClient, disk.NbdClientNode);
            await scope.ReleaseAsync(LedgerKinds.BlockJob, disk.JobId);
        }
        await RemoveTransientSocketsAsync(scope);
        // The target's write-tracking bitmaps served VerifyDisks; the running VM does not need them (nbd-server-stop above
        // already removed any verify export).
        await TargetWriteBitmaps.RemoveAllAsync(scope, target);
        foreach (var disk in exported)
            await scope.ReleaseAsync(LedgerKinds.TargetExport, disk.VerifyExportName);

        var source = await scope.SourceAsync();
        var info = await source.Client.QueryMigrateAsync(scope.Token);
        var stop = source.EventsSince(0).OfType<StopEvent>().LastOrDefault(); // the switchover stop: S stays stopped after it
        var resume = target.EventsSince(0).OfType<ResumeEvent>().LastOrDefault();
        plan.QemuDowntimeMs = info.DowntimeMs;
        plan.GuestPauseMs = stop is not null && resume is not null ? (resume.Timestamp - stop.Timestamp).TotalMilliseconds : null;
        plan.Write(context);
        context.Set(Result, info.DowntimeMs ?? -1);

        await context.JournalAsync(
            $"RAM migrated in {plan.RamMigrationMs:0} ms ({plan.RamPasses} passes); at switchover the disks took {plan.SwitchoverDisksMs:0.0} ms " +
            $"and CompleteMirror {plan.SwitchoverWorkMs:0.0} ms",
            new JsonObject { ["ramPasses"] = plan.RamPasses, ["ramMs"] = plan.RamMigrationMs, ["switchoverDisksMs"] = plan.SwitchoverDisksMs });
        foreach (var disk in exported)
            await context.JournalAsync(
                $"Disk {disk.DeviceId}: {disk.Kind}, {(disk.Strategy?.ToString() ?? "Mirror")}, {disk.BytesCopied} bytes copied of {disk.SizeBytes}" +
                (disk.Strategy == BitmapStrategy.BackupPasses ? $" in {disk.Passes} passes (final pass {disk.FinalPassBytes} bytes in {disk.FinalPassMs:0.0} ms)" : ""),
                new JsonObject
                {
                    ["disk"] = disk.DeviceId,
                    ["strategy"] = disk.Strategy?.ToString() ?? "Mirror",
                    ["bytesCopied"] = disk.BytesCopied,
                    ["diskSize"] = disk.SizeBytes,
                    ["initialDirtyBytes"] = disk.InitialDirtyBytes,
                    ["passes"] = disk.Passes,
                    ["finalPassBytes"] = disk.FinalPassBytes,
                    ["replicationBytes"] = disk.ReplicationBytes,
                });
        await context.JournalAsync($"VM {plan.VmId} runs on {plan.TargetNode}; QEMU downtime {info.DowntimeMs} ms, guest pause {plan.GuestPauseMs:0.0} ms" +
            (plan.VerifyDisksMs is { } verify ? $" (of which VerifyDisks {verify:0} ms)" : ""),
            new JsonObject { ["downtimeMs"] = info.DowntimeMs, ["guestPauseMs"] = plan.GuestPauseMs, ["totalTimeMs"] = info.TotalTimeMs, ["verifyDisksMs"] = plan.VerifyDisksMs });
    }

    internal static async Task RemoveTransientSocketsAsync(MigrationScope scope)
    {
        var plan = scope.Plan;
        // Over TCP there are no such files; skipping saves a command (an ssh start on a remote node).
        if (plan.TargetTcpHost is not null) return;
        await scope.TargetNode.TryRunAsync(new NodeCommand("rm", "-f", "--", plan.NbdSocket, plan.MigrationSocket), scope.Token);
    }

    private static async Task Tolerant(Func<Task> command)
    {
        try
        {
            await command();
        }
        catch (QmpException ex) when (ex.ErrorClass == "GenericError" &&
            (ex.Description.Contains("not found", StringComparison.OrdinalIgnoreCase) || ex.Description.Contains("not running", StringComparison.OrdinalIgnoreCase)))
        {
            // Already removed by an earlier run of this step.
        }
    }
}
