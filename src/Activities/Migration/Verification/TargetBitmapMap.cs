using System.Globalization;
using System.Text.Json;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Verification;

/// <summary>
/// Reads which byte ranges the target bitmaps of a disk mark (<see cref="TargetWriteBitmaps"/>): disables them (a
/// read-only export refuses a recording bitmap; nothing writes at this point anyway), adds a read-only NBD export of the
/// disk's node on the target's running NBD server that publishes them, asks <c>nbdinfo --map=qemu:dirty-bitmap:NAME</c>
/// on the target node (libnbd-bin), and deletes the export again. The export is in the ledger while it exists.
/// </summary>
internal static class TargetBitmapMap
{
    /// <summary>The dirty extents of the target <paramref name="bitmaps"/> of <paramref name="disk"/>, by bitmap name.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<(long Offset, long Length)>>> ReadAsync(MigrationScope scope, QmpSession target, DiskPlan disk,
        IReadOnlyList<string> bitmaps)
    {
        var ct = scope.Token;
        foreach (var bitmap in bitmaps)
            await target.Client.BlockDirtyBitmapDisableAsync(disk.NodeName, bitmap, ct);
        await scope.RecordAsync(LedgerKinds.TargetExport, scope.Plan.TargetNode, disk.VerifyExportName);
        try
        {
            await target.Client.BlockExportAddNbdAsync(disk.VerifyExportName, disk.NodeName, disk.VerifyExportName, writable: false, bitmaps, ct);
        }
        catch (QmpException ex) when (ex.Description.Contains("already", StringComparison.OrdinalIgnoreCase))
        {
            // Left by an interrupted earlier run of VerifyDisks (it is re-runnable): replace it.
            await target.Client.BlockExportDelAsync(disk.VerifyExportName, ct);
            await target.Client.BlockExportAddNbdAsync(disk.VerifyExportName, disk.NodeName, disk.VerifyExportName, writable: false, bitmaps, ct);
        }
        var maps = (await Task.WhenAll(bitmaps.Select(async bitmap => (Bitmap: bitmap, Map: await ReadMapAsync(scope, disk, bitmap)))))
            .ToDictionary(x => x.Bitmap, x => x.Map);
        await target.Client.BlockExportDelAsync(disk.VerifyExportName, ct);
        await scope.ReleaseAsync(LedgerKinds.TargetExport, disk.VerifyExportName);
        return maps;
    }

    private static async Task<IReadOnlyList<(long Offset, long Length)>> ReadMapAsync(MigrationScope scope, DiskPlan disk, string bitmap)
    {
        var command = new NodeCommand("nbdinfo", "--json", $"--map=qemu:dirty-bitmap:{bitmap}", Uri(scope.Plan, disk.VerifyExportName));
        try
        {
            return ParseDirty((await scope.TargetNode.RunAsync(command, scope.Token)).StandardOutput);
        }
        catch (NodeCommandException ex)
        {
            throw new InvalidOperationException($"Reading target bitmap {bitmap} of disk {disk.DeviceId} with nbdinfo on {scope.Plan.TargetNode} failed " +
                $"(is libnbd-bin installed there? scripts/setup.sh installs it): {ex.Message}", ex);
        }
    }

    /// <summary>The dirty extents (type bit 1) of <c>nbdinfo --json --map=qemu:dirty-bitmap:...</c> output.</summary>
    public static IReadOnlyList<(long Offset, long Length)> ParseDirty(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new FormatException($"nbdinfo --map printed no JSON array: {json[..Math.Min(json.Length, 200)]}");
        return doc.RootElement.EnumerateArray()
            .Where(e => (e.GetProperty("type").GetInt64() & 1) != 0)
            .Select(e => (e.GetProperty("offset").GetInt64(), e.GetProperty("length").GetInt64()))
            .ToList();
    }

    /// <summary>The NBD URI of <paramref name="export"/> as seen from the target node itself.</summary>
    internal static string Uri(MigrationPlan plan, string export)
    {
        if (export.Length == 0 || !export.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"NBD export name '{export}' is not a valid id");
        if (plan.TargetTcpHost is { } host)
        {
            if (!NameRules.IsHost(host)) throw new ArgumentException($"target host '{host}' is not a valid host name or address");
            var h = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
            return $"nbd://{h}:{plan.NbdTcpPort.ToString(CultureInfo.InvariantCulture)}/{export}";
        }
        if (!NameRules.IsSafeAbsolutePath(plan.NbdSocket)) throw new ArgumentException($"NBD socket '{plan.NbdSocket}' is not a safe absolute path");
        return $"nbd+unix:///{export}?socket={plan.NbdSocket}";
    }
}
