using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// One target of a replication run: whether it may receive at all (the VM must not run there, and the node must
/// answer), then every disk sent to it, each journaled with its bytes, base and time. A failure ends this target only.
/// </summary>
internal static class ReplicationTargets
{
    /// <summary>Why <paramref name="target"/> must not receive, or null when it may.</summary>
    public static async Task<string?> ProblemAsync(VmRunProbe probe, VmReplicationPlan plan, string target, CancellationToken ct)
    {
        try
        {
            return await probe.ProbeAsync(target, plan.VmId, ct) == VmRunState.Running
                ? $"VM {plan.VmId} runs on {target}: its disks are live there and a receive would roll them back. Replicate from the node it runs on."
                : null;
        }
        catch (VmProbeException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Sends every disk of the plan to <paramref name="target"/>; a failure is returned as that target's result, not thrown.</summary>
    public static async Task<TargetReplicationResult> SendAsync(ActivityExecutionContext context, SiteInventory inventory, VmReplicationPlan plan,
        ZfsDriver source, string target, string snapshot, bool fullSend)
    {
        var ct = context.CancellationToken;
        var disks = new List<DiskReplicationResult>();
        var skipped = new List<string>();
        try
        {
            var zfs = new ZfsDriver(inventory.CreateExecutor(target, context.Logger), context.Logger);
            foreach (var disk in plan.Disks)
            {
                var targetDataset = disk.DatasetOn(target);
                // An unused disk is replicated only where a replica of it already exists (else migrations copy it).
                if (!disk.Attached && !await zfs.ExistsAsync(targetDataset, ct))
                {
                    skipped.Add(disk.DiskId);
                    await context.JournalAsync($"Unused disk {disk.DiskId} has no replica on {target}: not replicated there");
                    continue;
                }
                var sent = await DiskReplication.SendAsync(disk.DiskId, source, disk.DatasetOn(plan.SourceNode), snapshot, zfs, targetDataset, fullSend, ct);
                disks.Add(sent);
                await context.ReportProgressAsync(new Progress($"replicate {disk.DiskId} to {target}", sent.Bytes, sent.Bytes, "bytes",
                    sent.Bytes / Math.Max(sent.Ms / 1000, 1e-3)));
                await context.JournalAsync(
                    $"Replicated {disk.DiskId} {plan.SourceNode}:{disk.DatasetOn(plan.SourceNode)}@{snapshot} -> {target}:{targetDataset} " +
                    (sent.AlreadyThere ? "(already there)" : sent.IncrementalFrom is null ? "(full send)" : $"(incremental from @{sent.IncrementalFrom})") +
                    $": {sent.Bytes} bytes in {sent.Ms:0} ms",
                    new JsonObject { ["disk"] = disk.DiskId, ["target"] = target, ["bytes"] = sent.Bytes, ["incrementalFrom"] = sent.IncrementalFrom, ["ms"] = sent.Ms });
            }
            return new TargetReplicationResult(target, true, null, disks, skipped);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // One target failing does not stop the others; this one's failure is reported at the end.
            await context.JournalAsync($"Replication to {target} FAILED: {ex.Message}", new JsonObject { ["target"] = target, ["error"] = ex.Message });
            return new TargetReplicationResult(target, false, ex.Message, disks, skipped);
        }
    }
}
