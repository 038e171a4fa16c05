using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Freeze;
using Elsa.Migration.Activities.Migration.Switchover;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Undoes everything the migration created, newest first, from the instance's ledger (so it works after a crash too):
/// cancels the migration and resumes the source if it is paused, cancels jobs, detaches NBD clients, removes bitmaps,
/// stops the target QEMU, frees non-replicated target volumes, thaws the guest; keeps the replicas. Safe at any point
/// and safe to run twice. When the VM already runs on the target it never resumes the source.
/// It fails (NeedsAttention) when a resource could not be undone or when, afterwards, no QEMU runs the VM: neither
/// the target nor the source answers. <see cref="Reason"/> is the first failure that led here, for an <c>Elsa.Fault</c>
/// after it (the shipped procedures end a rollback that way, so the instance ends Faulted with that incident).
/// </summary>
[Activity("VmMigration", "VM Migration", "Rolls the migration back from the ledger: the VM keeps running on the source, nothing is left behind.")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Rollback : CodeActivity
{
    /// <summary>Ledger kinds that exist only while the source QEMU runs the VM: after undoing them the source must answer.</summary>
    private static readonly HashSet<string> SourceRunningKinds =
        [LedgerKinds.DirtyBitmap, LedgerKinds.Migration, LedgerKinds.BlockJob, LedgerKinds.NbdClient, LedgerKinds.GuestFrozen];

    [Output(Description = "The first failure that led to the rollback (bind it to a variable and use it as Elsa.Fault's message).")]
    public Output<string>? Reason { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var reason = MigrationOutcome.FirstFailure(await context.GetJournalAsync()) ?? "rolled back without a recorded failure";
        context.Set(Reason, reason);
        await context.JournalAsync($"Rollback because {reason}");
        var scope = MigrationScope.TryOpen(context);
        var entries = (await context.GetLedgerAsync()).Where(e => e.ReleasedAt is null).OrderByDescending(e => e.Id).ToList();
        if (scope is null)
        {
            if (entries.Count == 0)
            {
                await context.JournalAsync("Rollback: no migration plan and nothing in the ledger: nothing to undo (the VM never left the source)");
                return;
            }
            throw new InvalidOperationException($"Rollback: {entries.Count} ledger entries but no migration plan: cannot reach the nodes; undo them by hand: " +
                string.Join(", ", entries.Select(e => $"{e.Kind} {e.Name} on {e.Node}")));
        }
        MigrationScope.Service<FreezeWatchdog>(context).Disarm(scope.Plan.SourceQmpSocket);
        // Nothing of this migration may keep working while it is undone: a switchover under way ends first (bounded).
        await MigrationScope.Service<Switchovers>(context).AbandonAsync(context.InstanceId, TimeSpan.FromSeconds(30));
        try
        {
            await UndoAsync(context, scope, entries);
        }
        finally
        {
            // The migration is over with these QEMUs, however the undo ended: a monitor serves one client at a time, so a
            // kept session would lock the operator's tools (and any other host) out of the VM's monitor until this process
            // stops. A second Rollback reconnects.
            await scope.DropSourceAsync();
            await scope.DropTargetAsync();
        }
    }

    /// <summary>Undoes the ledger newest first, then says where the VM runs; throws when something could not be undone.</summary>
    private static async Task UndoAsync(ActivityExecutionContext context, MigrationScope scope, List<LedgerEntry> entries)
    {
        scope.CommandTimeout = LedgerUndo.CommandTimeout; // an undo reports a hung command instead of waiting for it
        var undo = new LedgerUndo(scope);
        var done = new JsonArray();
        var failed = new List<string>();
        foreach (var entry in entries)
        {
            try
            {
                var said = await undo.UndoAsync(entry);
                await context.ReleaseResourceAsync(entry.Id);
                done.Add(new JsonObject { ["kind"] = entry.Kind, ["name"] = entry.Name, ["result"] = said });
                await context.JournalAsync($"Rollback {entry.Kind} {entry.Name}: {said}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Keep going: one stuck resource must not leave the others (or a paused VM) behind. Reported below.
                failed.Add($"{entry.Kind} {entry.Name}: {ex.Message}");
                await context.JournalAsync($"Rollback {entry.Kind} {entry.Name} FAILED: {ex.Message}");
            }
        }
        var onTarget = await undo.VmOnTargetAsync();
        var lost = !onTarget && entries.Any(e => SourceRunningKinds.Contains(e.Kind)) ? await SourceFailureAsync(scope) : null;
        scope.State.Freeze = null;
        scope.SaveState();
        var problems = (lost is null ? failed : failed.Prepend(lost)).ToList();
        var undoFailures = failed.Count == 0 ? "" : $"{failed.Count} resources could not be undone: {string.Join("; ", failed)}";
        await context.JournalAsync(
            problems.Count == 0
                ? $"Rollback complete: {entries.Count} resources undone; VM {scope.Plan.VmId} runs on {(onTarget ? scope.Plan.TargetNode : scope.Plan.SourceNode)}"
                : "Rollback incomplete: " + string.Join("; ", new[] { lost, undoFailures }.Where(p => !string.IsNullOrEmpty(p))),
            new JsonObject
            {
                ["undone"] = done,
                ["failed"] = new JsonArray(failed.Select(f => (JsonNode)f).ToArray()),
                ["vmLocationProblem"] = lost,
                [MigrationOutcome.OnTargetKey] = onTarget,
                ["vmRunsOn"] = problems.Count > 0 ? null : onTarget ? scope.Plan.TargetNode : scope.Plan.SourceNode,
            });
        if (problems.Count > 0)
            throw new InvalidOperationException($"Rollback did not end cleanly: {string.Join("; ", problems)}. Fix the cause, then run the rollback again " +
                "(it is safe twice) or finish by hand.");
    }

    /// <summary>Null when the source QEMU answers and has the VM (running, or paused as before); otherwise why its location is unknown.</summary>
    private static async Task<string?> SourceFailureAsync(MigrationScope scope)
    {
        var plan = scope.Plan;
        try
        {
            var source = await scope.TryGetSourceAsync();
            if (source is null)
                return $"VM {plan.VmId} runs nowhere: no QEMU answers on {plan.SourceNode}:{plan.SourceQmpSocket} and the target does not run it; " +
                       $"find out why it stopped on {plan.SourceNode} before starting it again";
            // Paused is where a VM paused by its operator before the migration (GetDiskInfo accepts it) is back to.
            var status = await source.Client.QueryStatusAsync(scope.Token);
            return status.Status is RunState.Running or RunState.Paused ? null
                : $"VM {plan.VmId} is {status.Status} on {plan.SourceNode}, not running; check it there (`vm status`) and resume it by hand";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"could not ask {plan.SourceNode} whether VM {plan.VmId} runs there: {ex.Message}";
        }
    }
}
