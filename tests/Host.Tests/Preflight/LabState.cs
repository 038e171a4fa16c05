using System.Text;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Tests.Preflight;

/// <summary>
/// What a dry run or a refused migration must leave as it was, on both lab nodes: every dataset and snapshot (name,
/// type, guid, quota, our ownership mark), every file in the node's socket directory, and the source QEMU's QMP state
/// (run state, dirty bitmaps, block jobs, migration). The QMP connection is closed again before the CLI runs
/// (QEMU serves one client at a time).
/// </summary>
internal static class LabState
{
    public static async Task<string> CaptureAsync(MigrationLab lab, string vmId, CancellationToken ct)
    {
        var state = new StringBuilder();
        foreach (var node in new[] { MigrationLab.Source, MigrationLab.Target })
        {
            var pool = lab.Disk(vmId, 0, node).Dataset!.Split('/')[0];
            var zfs = await lab.Local.RunAsync(new NodeCommand("zfs", "get", "-H", "-r", "-o", "name,property,value", "type,guid,quota,elsa:migration", pool), ct);
            state.AppendLine($"{node} zfs:").AppendLine(zfs.StandardOutput);
            var dir = lab.Lab.Inventory.GetNode(node).QmpSocketDir;
            state.AppendLine($"{node} files: " + string.Join(", ", Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal) : []));
            var socket = lab.Lab.Inventory.RuntimePaths(vmId, node).QmpSocket;
            if (!File.Exists(socket)) continue;
            await using var qmp = await QmpClient.ConnectAsync(socket, cancellationToken: ct);
            var status = await qmp.QueryStatusAsync(ct);
            var bitmaps = (await qmp.QueryNamedBlockNodesAsync(ct)).SelectMany(n => n.DirtyBitmaps.Select(b => $"{n.NodeName}/{b.Name}"));
            var jobs = (await qmp.QueryBlockJobsAsync(ct)).Select(j => j.Device);
            var migration = await qmp.QueryMigrateAsync(ct);
            state.AppendLine($"{node} qmp: {status.Status}; bitmaps [{string.Join(", ", bitmaps)}]; jobs [{string.Join(", ", jobs)}]; migration {migration.Status}");
        }
        return state.ToString();
    }
}
