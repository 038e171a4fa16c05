using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 10, on the source once the VM runs on the target: removes the dirty bitmaps, any leftover job and NBD client,
/// quits the stopped source QEMU, removes (or keeps, renamed) the source's copies of local and unused disks once the
/// target's are flushed, and prunes old migration snapshots (only those this product took, keeping the newest ones,
/// which are the base of the next replication).
/// </summary>
[Activity("VmMigration", "VM Migration", "Cleans up the source after the VM runs on the target: bitmaps, jobs, NBD nodes, source QEMU, source copies of local disks, old snapshots.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Cleanup : CodeActivity
{
    [Input(Description = "Migration snapshots to keep per disk on each node (the newest; at least 1, the common base).", DefaultValue = 1)]
    public Input<int>? KeepSnapshots { get; set; }

    [Input(Description = "Keep the source's copies of local and unused disks, renamed NAME-kept-INSTANCE (so they never block a migration back), instead of removing them.",
        DefaultValue = false)]
    public Input<bool>? KeepSourceLocalDisks { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        if (!scope.State.VmRunsOnTarget)
            throw new InvalidOperationException("Cleanup removes the source VM: it runs only after ResumeTarget (the VM must run on the target).");
        var keep = Math.Max(1, context.Get(KeepSnapshots));
        var undo = new LedgerUndo(scope);
        var said = new List<string>();

        // Jobs, NBD clients and bitmaps on the source, the target's write-tracking bitmaps and verify export: newest first,
        // as Rollback would, each by its ledger entry (a job the switchover ran under the same id goes with its entry).
        foreach (var entry in (await context.GetLedgerAsync()).Where(e => e.ReleasedAt is null && LedgerKinds.RemovedAtCleanup.Contains(e.Kind)).OrderByDescending(e => e.Id))
        {
            said.Add(await undo.UndoAsync(entry));
            await context.ReleaseResourceAsync(entry.Id);
        }
        var source = await scope.TryGetSourceAsync();
        if (source is not null)
        {
            var status = await source.Client.QueryStatusAsync(scope.Token);
            if (status.Status == RunState.Running)
                throw new InvalidOperationException("The source QEMU is running although the VM was resumed on the target: refusing to quit it. Check both nodes now.");
            try
            {
                await source.Client.QuitAsync(scope.Token);
            }
            catch (QmpDisconnectedException)
            {
                // It exited while answering quit.
            }
            await source.Client.Completion.WaitAsync(TimeSpan.FromSeconds(30), scope.Token);
            await scope.DropSourceAsync();
            // The monitor closes before the process has exited and let go of its disks (seen 27 ms later still alive).
            if (plan.SourcePidFile is { } pidFile && !await QemuProcess.WaitForExitAsync(scope.SourceNode, pidFile, TimeSpan.FromSeconds(30), scope.Token))
                throw new InvalidOperationException($"The source QEMU on {plan.SourceNode} closed its monitor after quit but still runs 30 s later: " +
                    "its disks are left in place. The VM runs on the target; stop the source QEMU by hand, then run Cleanup again.");
            said.Add("source QEMU quit");
        }

        var copies = await SourceCopies.RetireAsync(scope, context.Get(KeepSourceLocalDisks));
        said.AddRange(copies.Select(c => c!["result"]!.GetValue<string>()));
        foreach (var disk in plan.Disks.Where(d => d.Kind == MigrationDiskKind.Replicated))
        {
            said.Add(await PruneAsync(scope, scope.SourceNode, disk.SourceDataset!, keep));
            said.Add(await PruneAsync(scope, scope.TargetNode, disk.TargetDataset!, keep));
        }
        foreach (var entry in (await context.GetLedgerAsync()).Where(e => e.ReleasedAt is null && LedgerKinds.KeptAtCleanup.Contains(e.Kind)))
            await context.ReleaseResourceAsync(entry.Id);
        // The migration is over: release the target's monitor (QEMU serves one QMP client at a time; over SSH the
        // session is also an ssh + socat relay that would otherwise live as long as this process).
        await scope.DropTargetAsync();
        await context.JournalAsync("Source cleaned up: " + string.Join("; ", said.Where(s => s.Length > 0)),
            new JsonObject { ["steps"] = new JsonArray(said.Select(s => (JsonNode)s).ToArray()), ["sourceCopies"] = copies });
    }

    private static async Task<string> PruneAsync(MigrationScope scope, Nodes.NodeExecutor node, string dataset, int keep)
    {
        var zfs = new Zfs.ZfsDriver(node);
        if (!await zfs.ExistsAsync(dataset, scope.Token)) return "";
        var old = await zfs.PruneSnapshotsAsync(dataset, MigrationSnapshots.Prefix, keep, scope.Token);
        return old.Count == 0 ? "" : $"pruned {old.Count} old snapshots of {node.NodeName}:{dataset}";
    }
}
