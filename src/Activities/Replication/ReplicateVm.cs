using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Replication;

/// <summary>
/// One replication run of a VM (the site's replication job, as a procedure and a schedule): one snapshot of every
/// replicated disk on the node the disks are on now, an incremental <c>zfs send -i NEWEST_COMMON | zfs recv -F</c> of it
/// to each node of the VM's <c>replication.nodes</c> but that one, then pruning of old replication snapshots that
/// keeps every target's base. Never a full send silently (<see cref="ReplicationBase"/>). One target failing does not
/// stop the others; the activity reports every target in <c>Result</c> and fails at the end if any failed. After a
/// migration a→b, a run from b sends b→a from the migration's snapshot (both hold it) and to the other targets from
/// their newest common snapshot: the direction switches by itself.
/// </summary>
// Version 2: the input Inventory (a file path on the server) became Site (a registered site's name).
[Activity("Replication", "Replication", "Snapshots the VM's replicated disks and sends them incrementally to each of its replication nodes; prunes old replication snapshots.", Version = 2)]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ReplicateVm : CodeActivity<string>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Input(Description = "The VM whose disks to replicate (its id in the site inventory).", Required = true)]
    public Input<string>? VmId { get; set; }

    [Input(Description = "The node the VM's disks are on now (where it runs, or ran last): the source of the sends.", Required = true)]
    public Input<string>? SourceNode { get; set; }

    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    [Input(Description = "Allow a full send of the whole disk to a target that has no replica yet (never into an existing dataset).",
        DefaultValue = false)]
    public Input<bool>? FullSendIfNoBase { get; set; }

    [Input(Description = "Replication snapshots to keep per disk on each node (the newest; at least 1). Every target's newest common snapshot is kept anyway.",
        DefaultValue = 1)]
    public Input<int>? KeepSnapshots { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var ct = context.CancellationToken;
        string Need(Input<string>? input, string name) =>
            context.Get(input) is { Length: > 0 } v ? v : throw new ArgumentException($"The input {name} is empty: give the {name} of the replication.");
        // One activity does the whole run: the inventory is read once, here, and used for every node it reaches.
        var (_, inventory) = await SiteSelection.LoadAsync(Migration.MigrationScope.Service<ISiteCatalog>(context), context.Get(Site), ct);
        var plan = VmReplicationPlan.Create(inventory, Need(VmId, nameof(VmId)), Need(SourceNode, nameof(SourceNode)));
        var fullSend = context.Get(FullSendIfNoBase);
        var keep = Math.Max(1, context.Get(KeepSnapshots));
        var source = new ZfsDriver(inventory.CreateExecutor(plan.SourceNode, context.Logger), context.Logger);

        // Everything is checked before anything changes: the source answers and holds the disks; a target that runs the
        // VM (its disks are live there: SourceNode is wrong) or cannot be asked fails before the snapshot.
        var probe = new VmRunProbe(inventory, context.Logger);
        await probe.ProbeAsync(plan.SourceNode, plan.VmId, ct);
        foreach (var disk in plan.Disks)
            if (!await source.ExistsAsync(disk.DatasetOn(plan.SourceNode), ct))
                throw new InvalidOperationException($"Disk {disk.DiskId} of VM {plan.VmId}: {disk.DatasetOn(plan.SourceNode)} does not exist on " +
                    $"{plan.SourceNode}. Give as SourceNode the node the VM's disks are on now.");
        var failed = new Dictionary<string, string>();
        foreach (var target in plan.Targets)
            if (await ReplicationTargets.ProblemAsync(probe, plan, target, ct) is { } problem) failed[target] = problem;
        var eligible = plan.Targets.Where(t => !failed.ContainsKey(t)).ToList();
        if (eligible.Count == 0)
            throw new InvalidOperationException($"No replication target of VM {plan.VmId} can be used: " + string.Join("; ", failed.Select(f => $"{f.Key}: {f.Value}")));

        var snapshot = ReplicationSnapshots.NameAt(context.Time.GetUtcNow());
        var started = context.Time.GetTimestamp();
        // Marked with the run that took it (elsa:replication), as migration snapshots carry elsa:migration.
        var atomic = await source.SnapshotAllAsync(plan.Disks.Select(d => d.DatasetOn(plan.SourceNode)).ToList(), snapshot,
            new Dictionary<string, string> { [ReplicationSnapshots.RunProperty] = context.InstanceId }, ct);
        await context.JournalAsync($"Snapshot {snapshot} of {string.Join(", ", plan.Disks.Select(d => d.DatasetOn(plan.SourceNode)))} on {plan.SourceNode} " +
            $"in {context.Time.GetElapsedTime(started).TotalMilliseconds:0} ms" + (atomic || plan.Disks.Count == 1 ? "" : " (one at a time: this zfs takes one snapshot per command)"),
            new JsonObject { ["snapshot"] = snapshot, ["atomic"] = atomic });

        var results = new List<TargetReplicationResult>();
        foreach (var target in plan.Targets)
            results.Add(failed.TryGetValue(target, out var why)
                ? new TargetReplicationResult(target, false, why, [], [])
                : await ReplicationTargets.SendAsync(context, inventory, plan, source, target, snapshot, fullSend));

        var pruned = new List<string>();
        var pruneProblems = new List<string>();
        var targets = plan.Targets.Select(t => new ZfsDriver(inventory.CreateExecutor(t, context.Logger), context.Logger)).ToList();
        foreach (var disk in plan.Disks)
        {
            var (destroyed, problems) = await ReplicationPruner.PruneAsync(disk, source, disk.DatasetOn(plan.SourceNode), targets, keep, ct);
            pruned.AddRange(destroyed);
            pruneProblems.AddRange(problems);
        }
        var result = new VmReplicationResult(plan.VmId, plan.SourceNode, snapshot, results, pruned, pruneProblems);
        var json = JsonSerializer.Serialize(result, Json);
        context.Set(Result, json);
        await context.JournalAsync(Summary(result), JsonNode.Parse(json)!.AsObject());
        if (!result.Succeeded)
            throw new InvalidOperationException($"Replication of VM {plan.VmId} from {plan.SourceNode} failed for " +
                string.Join("; ", results.Where(r => !r.Succeeded).Select(r => $"{r.Target}: {r.Error}").Concat(pruneProblems)));
    }

    private static string Summary(VmReplicationResult r) =>
        $"Replication of VM {r.VmId} from {r.SourceNode} (@{r.Snapshot}): " +
        string.Join("; ", r.Targets.Select(t => t.Succeeded
            ? $"{t.Target} ok, {t.Disks.Sum(d => d.Bytes)} bytes"
            : $"{t.Target} FAILED: {t.Error}")) +
        (r.Pruned.Count > 0 ? $"; pruned {r.Pruned.Count} old snapshots" : "") +
        (r.PruneProblems.Count > 0 ? "; pruning problems: " + string.Join("; ", r.PruneProblems) : "");
}
