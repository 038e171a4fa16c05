using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Undoes everything the migration created, newest first, from the instance's ledger (so it works after a crash too):
/// cancels the migration and resumes the source if it is paused, cancels jobs, detaches NBD clients, removes bitmaps,
/// stops the target QEMU, frees non-replicated target volumes, thaws the guest; keeps the replicas. Safe at any point
/// and safe to run twice. When the VM already runs on the target it never resumes the source.
/// </summary>
[Activity("VmMigration", "VM Migration", "Rolls the migration back from the ledger: the VM keeps running on the source, nothing is left behind.")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Rollback : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.TryOpen(context);
        var entries = (await context.GetLedgerAsync()).Where(e => e.ReleasedAt is null).OrderByDescending(e => e.Id).ToList();
        if (scope is null)
        {
            await context.JournalAsync(entries.Count == 0
                ? "Rollback: no migration plan and nothing in the ledger: nothing to undo"
                : $"Rollback: {entries.Count} ledger entries but no migration plan: cannot reach the nodes; undo them by hand");
            return;
        }
        MigrationScope.Service<FreezeWatchdog>(context).Disarm(scope.Plan.SourceQmpSocket);
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
        scope.Plan.FrozenMode = null;
        scope.SavePlan();
        await context.JournalAsync(
            failed.Count == 0
                ? $"Rollback complete: {entries.Count} resources undone; VM {scope.Plan.VmId} runs on {(onTarget ? scope.Plan.TargetNode : scope.Plan.SourceNode)}"
                : $"Rollback incomplete: {failed.Count} resources could not be undone: {string.Join("; ", failed)}",
            new JsonObject { ["undone"] = done, ["failed"] = new JsonArray(failed.Select(f => (JsonNode)f).ToArray()) });
        if (failed.Count > 0)
            throw new InvalidOperationException($"Rollback left {failed.Count} resources behind (see the journal); run Rollback again once the cause is fixed: " +
                string.Join("; ", failed));
    }
}
