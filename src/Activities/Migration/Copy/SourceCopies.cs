using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Zfs;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// The source's copies of the local (mirrored) and unused non-replicated disks once the VM runs on the target: removed,
/// as Proxmox does in its final phase, or kept under a name that carries the instance id so they never block a later
/// migration back. Replicated disks are not touched (their dataset and common snapshot are the next replication's base).
/// </summary>
internal static class SourceCopies
{
    /// <summary>
    /// Flushes the target's copy of every such disk, then removes (or with <paramref name="keep"/> renames) the source's.
    /// Refuses while a QEMU still runs from the source's pid file: its disks are in use.
    /// </summary>
    public static async Task<JsonArray> RetireAsync(MigrationScope scope, bool keep)
    {
        var plan = scope.Plan;
        var done = new JsonArray();
        var disks = plan.Disks.Where(d => d.Kind == MigrationDiskKind.Local).ToList();
        if (disks.Count == 0) return done;
        if (plan.SourcePidFile is { } pidFile && await QemuProcessMark.ReadAsync(scope.SourceNode, pidFile, scope.Token) is { } alive)
            throw new InvalidOperationException($"The source QEMU (pid {alive.Pid}) still runs on {plan.SourceNode}: refusing to remove the source copies of its disks.");
        foreach (var disk in disks)
        {
            // The target's copy must be on stable storage before the only other copy goes.
            await scope.TargetNode.RunAsync(new NodeCommand("sync", "-f", "--", disk.TargetPath), scope.Token);
            var said = disk.SourceDataset is { } dataset
                ? await RetireDatasetAsync(scope, dataset, keep)
                : await RetireFileAsync(scope, disk.SourcePath, keep);
            done.Add(new JsonObject { ["disk"] = disk.DeviceId, ["result"] = said });
        }
        return done;
    }

    private static async Task<string> RetireDatasetAsync(MigrationScope scope, string dataset, bool keep)
    {
        var zfs = new ZfsDriver(scope.SourceNode);
        if (!await zfs.ExistsAsync(dataset, scope.Token)) return $"{dataset} already gone";
        // Snapshots of the site's own (not the migration's) may be someone's restore point, and child datasets are not
        // the disk: keep the copy then (destroy -r would take them along).
        var foreign = (await zfs.ListSnapshotsAsync(dataset, scope.Token)).Where(s => !s.Name.StartsWith("elsa-", StringComparison.Ordinal)).Select(s => "@" + s.Name)
            .Concat((await zfs.ListDatasetsAsync(dataset, scope.Token)).Where(d => d.Name != dataset).Select(d => d.Name)).ToList();
        if (keep || foreign.Count > 0)
        {
            var kept = Ownership.KeptName(dataset, scope.Owner);
            await zfs.RenameAsync(dataset, kept, scope.Token);
            return $"kept {scope.Plan.SourceNode}:{dataset} as {kept}" + (keep ? "" : $" (it holds more than the disk: {string.Join(", ", foreign)})");
        }
        await zfs.DestroyAsync(dataset, recursive: true, scope.Token);
        return $"removed {scope.Plan.SourceNode}:{dataset}";
    }

    private static async Task<string> RetireFileAsync(MigrationScope scope, string path, bool keep)
    {
        var node = scope.SourceNode;
        if (!await node.PathExistsAsync(path, scope.Token)) return $"{path} already gone";
        if (!keep)
        {
            await node.RunAsync(new NodeCommand("rm", "-f", "--", path), scope.Token);
            return $"removed {scope.Plan.SourceNode}:{path}";
        }
        var kept = Ownership.KeptName(path, scope.Owner);
        await node.RunAsync(new NodeCommand("mv", "-n", "--", path, kept), scope.Token); // -n: never replace an existing file
        if (await node.PathExistsAsync(path, scope.Token))
            throw new InvalidOperationException($"Could not keep {path} as {kept} on {scope.Plan.SourceNode}: {kept} exists already. Rename one of them by hand.");
        return $"kept {scope.Plan.SourceNode}:{path} as {kept}";
    }
}
