using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 9: once the target has loaded the migration, removes its NBD exports and server, resumes the VM there
/// (<c>cont</c>), and reports QEMU's downtime (<c>query-migrate</c>) and the guest's real pause (source STOP to target
/// RESUME). From here on the VM lives on the target: its QEMU and volumes become the VM's (they leave the ledger), and
/// Rollback will never resume the source. What the migration left on the source is Cleanup's.
/// </summary>
[Activity("VmMigration", "VM Migration", "Resumes the VM on the target and reports QEMU's downtime and the guest pause.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ResumeTarget : CodeActivity<long>
{
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        var target = await scope.TargetAsync();
        var exported = plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var status = await IncomingMigration.WaitLoadedAsync(target, LoadTimeout, scope.Token);
        if (status != RunState.Running)
        {
            if (status != RunState.Paused)
                throw new InvalidOperationException($"The target QEMU is '{status}', expected 'paused' after the migration completed.");
            foreach (var disk in exported)
                await Tolerant(() => target.Client.BlockExportDelAsync(disk.ExportName, scope.Token));
            if (exported.Count > 0) await Tolerant(() => target.Client.NbdServerStopAsync(scope.Token));
            var mark = target.LastSequence;
            await target.Client.ContAsync(scope.Token);
            await target.WaitForEventAsync<ResumeEvent>(mark, _ => true, TimeSpan.FromSeconds(30), "RESUME on the target", scope.Token);
        }

        // Recorded before anything else can fail: from here on nothing may resume the source.
        scope.State.Resumed = new ResumedOnTarget(context.Time.GetUtcNow(), null, null);
        scope.SaveState();

        var source = await scope.SourceAsync();
        var info = await CompletedMigrationFigures.ReadAsync(source.Client, scope.Token);
        var stop = source.EventsSince(0).OfType<StopEvent>().LastOrDefault(); // the switchover stop: S stays stopped after it
        var resume = target.EventsSince(0).OfType<ResumeEvent>().LastOrDefault();
        scope.State.Resumed = scope.State.Resumed with
        {
            QemuDowntimeMs = info.DowntimeMs,
            GuestPauseMs = stop is not null && resume is not null ? (resume.Timestamp - stop.Timestamp).TotalMilliseconds : null,
        };
        scope.SaveState();
        context.Set(Result, info.DowntimeMs ?? -1);

        // The guest runs again: the bookkeeping (SQLite) that was kept out of the switchover window. The target QEMU and
        // volumes are the VM's now: no undo may remove them.
        await scope.HandOverToTargetAsync();
        await RemoveTransientSocketsAsync(scope);
        await MigrationReport.JournalAsync(scope, info);
    }

    /// <summary>The target's NBD and incoming-migration sockets, which outlive the NBD server and the migration.</summary>
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
