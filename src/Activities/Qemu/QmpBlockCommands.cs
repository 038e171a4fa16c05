using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>Typed block-layer commands: queries, dirty bitmaps, block nodes, jobs.</summary>
public static class QmpBlockCommands
{
    /// <summary><c>query-block</c>: every BlockBackend with its medium and dirty bitmaps.</summary>
    public static async Task<IReadOnlyList<BlockDeviceInfo>> QueryBlockAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var result = await qmp.ExecuteAsync("query-block", cancellationToken: cancellationToken).ConfigureAwait(false);
        return QmpArgs.Items(result).Select(b =>
        {
            var inserted = b["inserted"];
            // QEMU < 7 listed bitmaps beside "inserted"; newer ones inside it.
            var bitmaps = inserted?["dirty-bitmaps"] ?? b["dirty-bitmaps"];
            var medium = inserted is null ? null : new InsertedMedium(QmpArgs.Str(inserted, "node-name"), QmpArgs.Str(inserted, "file"),
                QmpArgs.Str(inserted, "drv"), QmpArgs.Bool(inserted, "ro"), QmpArgs.Long(inserted["image"], "virtual-size"), QmpArgs.Bitmaps(bitmaps));
            return new BlockDeviceInfo(QmpArgs.Str(b, "device"), QmpArgs.StrOrNull(b, "qdev"), medium);
        }).ToList();
    }

    /// <summary><c>query-named-block-nodes</c> (flat: only the top node of each graph, not their children).</summary>
    public static async Task<IReadOnlyList<BlockNodeInfo>> QueryNamedBlockNodesAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var result = await qmp.ExecuteAsync("query-named-block-nodes", new JsonObject { ["flat"] = true }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return QmpArgs.Items(result).Select(n => new BlockNodeInfo(QmpArgs.Str(n, "node-name"), QmpArgs.Str(n, "drv"), QmpArgs.Str(n, "file"),
            QmpArgs.Long(n["image"], "virtual-size"), QmpArgs.Bitmaps(n["dirty-bitmaps"]))).ToList();
    }

    /// <summary><c>query-block-jobs</c>.</summary>
    public static async Task<IReadOnlyList<BlockJobInfo>> QueryBlockJobsAsync(this QmpClient qmp, CancellationToken cancellationToken = default)
    {
        var result = await qmp.ExecuteAsync("query-block-jobs", cancellationToken: cancellationToken).ConfigureAwait(false);
        return QmpArgs.Items(result).Select(j => new BlockJobInfo(QmpArgs.Str(j, "device"), QmpEnum.Parse<BlockJobType>(QmpArgs.Str(j, "type")),
            QmpArgs.Long(j, "len"), QmpArgs.Long(j, "offset"), QmpArgs.Long(j, "speed"), QmpArgs.Bool(j, "busy"), QmpArgs.Bool(j, "paused"),
            QmpArgs.Bool(j, "ready"), QmpEnum.Parse<JobStatus>(QmpArgs.Str(j, "status")), QmpArgs.StrOrNull(j, "error"))).ToList();
    }

    /// <summary><c>block-dirty-bitmap-add</c> (non-persistent by default: persistent bitmaps fail on raw images). Default granularity is 64 KiB.</summary>
    public static Task BlockDirtyBitmapAddAsync(this QmpClient qmp, string node, string name, long? granularity = null, bool persistent = false, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("block-dirty-bitmap-add", QmpArgs.Bitmap(node, name, granularity, persistent), cancellationToken: cancellationToken);

    /// <summary><c>block-dirty-bitmap-remove</c>.</summary>
    public static Task BlockDirtyBitmapRemoveAsync(this QmpClient qmp, string node, string name, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("block-dirty-bitmap-remove", new JsonObject { ["node"] = node, ["name"] = name }, cancellationToken: cancellationToken);

    /// <summary><c>block-dirty-bitmap-disable</c>: stops recording (a read-only NBD export refuses a recording bitmap).</summary>
    public static Task BlockDirtyBitmapDisableAsync(this QmpClient qmp, string node, string name, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("block-dirty-bitmap-disable", new JsonObject { ["node"] = node, ["name"] = name }, cancellationToken: cancellationToken);

    /// <summary><c>transaction</c>: runs every action atomically (all or none).</summary>
    public static Task TransactionAsync(this QmpClient qmp, IEnumerable<TransactionAction> actions, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("transaction", new JsonObject { ["actions"] = new JsonArray(actions.Select(a => (JsonNode)a.ToJson()).ToArray()) },
            cancellationToken: cancellationToken);

    /// <summary><c>blockdev-add</c> of an NBD client node connected to <paramref name="server"/>'s export <paramref name="export"/>.</summary>
    public static Task BlockdevAddNbdAsync(this QmpClient qmp, string nodeName, SocketAddress server, string export, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("blockdev-add", new JsonObject
        {
            ["driver"] = "nbd",
            ["node-name"] = nodeName,
            ["server"] = server.ToFlatJson(),
            ["export"] = export,
        }, cancellationToken: cancellationToken);

    /// <summary><c>blockdev-add</c> with arbitrary options (any driver).</summary>
    public static Task BlockdevAddAsync(this QmpClient qmp, JsonObject options, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("blockdev-add", options, cancellationToken: cancellationToken);

    /// <summary><c>blockdev-del</c>.</summary>
    public static Task BlockdevDelAsync(this QmpClient qmp, string nodeName, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = nodeName }, cancellationToken: cancellationToken);

    /// <summary><c>blockdev-mirror</c>. Wait for <see cref="BlockJobReadyEvent"/> (register it before calling this).</summary>
    public static Task BlockdevMirrorAsync(this QmpClient qmp, BlockdevMirrorOptions options, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("blockdev-mirror", QmpArgs.Mirror(options), cancellationToken: cancellationToken);

    /// <summary>
    /// <c>blockdev-mirror</c> and, in the same write right behind it, <c>block-dirty-bitmap-disable</c> of
    /// <paramref name="bitmap"/> on <paramref name="node"/>: QEMU disables the bitmap the moment the mirror has started,
    /// with no round trip in between (what is written in that gap is copied twice: by the mirror and by the bitmap's last
    /// pass). QEMU disables the bitmap even when the mirror fails; the error is thrown after both replies.
    /// </summary>
    public static Task BlockdevMirrorThenDisableBitmapAsync(this QmpClient qmp, BlockdevMirrorOptions mirror, string node, string bitmap,
        CancellationToken cancellationToken = default) =>
        qmp.ExecuteInOrderAsync(
        [
            new QmpCommand("blockdev-mirror", QmpArgs.Mirror(mirror)),
            new QmpCommand("block-dirty-bitmap-disable", new JsonObject { ["node"] = node, ["name"] = bitmap }),
        ], cancellationToken: cancellationToken);

    /// <summary><c>blockdev-backup</c>. Ends with <see cref="BlockJobCompletedEvent"/>.</summary>
    public static Task BlockdevBackupAsync(this QmpClient qmp, BlockdevBackupOptions options, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("blockdev-backup", QmpArgs.Backup(options), cancellationToken: cancellationToken);

    /// <summary>
    /// <c>block-job-cancel</c>. On a READY mirror without <paramref name="force"/> this is the soft cancel the migration uses:
    /// it drains, emits BLOCK_JOB_COMPLETED, and the source stays on its own disk (never <c>block-job-complete</c> here).
    /// </summary>
    public static Task BlockJobCancelAsync(this QmpClient qmp, string jobId, bool force = false, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = jobId, ["force"] = force }, cancellationToken: cancellationToken);

    /// <summary><c>job-dismiss</c>: removes a concluded job that was started with auto-dismiss off.</summary>
    public static Task JobDismissAsync(this QmpClient qmp, string jobId, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("job-dismiss", new JsonObject { ["id"] = jobId }, cancellationToken: cancellationToken);

    /// <summary><c>nbd-server-start</c>.</summary>
    public static Task NbdServerStartAsync(this QmpClient qmp, SocketAddress address, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("nbd-server-start", new JsonObject { ["addr"] = address.ToLegacyJson() }, cancellationToken: cancellationToken);

    /// <summary><c>nbd-server-stop</c>.</summary>
    public static Task NbdServerStopAsync(this QmpClient qmp, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("nbd-server-stop", cancellationToken: cancellationToken);

    /// <summary><c>block-export-add</c> of an NBD export of <paramref name="nodeName"/> named <paramref name="exportName"/>.</summary>
    public static Task BlockExportAddNbdAsync(this QmpClient qmp, string exportId, string nodeName, string exportName, bool writable = true, CancellationToken cancellationToken = default) =>
        qmp.BlockExportAddNbdAsync(exportId, nodeName, exportName, writable, bitmaps: null, cancellationToken);

    /// <summary>
    /// <c>block-export-add</c> of an NBD export that also publishes <paramref name="bitmaps"/> as block-status contexts
    /// <c>qemu:dirty-bitmap:NAME</c> (read them with <c>nbdinfo --map</c>). A read-only export refuses a recording bitmap: disable it first.
    /// </summary>
    public static Task BlockExportAddNbdAsync(this QmpClient qmp, string exportId, string nodeName, string exportName, bool writable,
        IReadOnlyList<string>? bitmaps, CancellationToken cancellationToken = default)
    {
        var args = new JsonObject { ["type"] = "nbd", ["id"] = exportId, ["node-name"] = nodeName, ["name"] = exportName, ["writable"] = writable };
        if (bitmaps is { Count: > 0 }) args["bitmaps"] = new JsonArray(bitmaps.Select(b => (JsonNode)b).ToArray());
        return qmp.ExecuteAsync("block-export-add", args, cancellationToken: cancellationToken);
    }

    /// <summary><c>block-export-del</c>. Fails with "still in use" while a client is connected: <c>blockdev-del</c> the client first.</summary>
    public static Task BlockExportDelAsync(this QmpClient qmp, string exportId, CancellationToken cancellationToken = default) =>
        qmp.ExecuteAsync("block-export-del", new JsonObject { ["id"] = exportId }, cancellationToken: cancellationToken);
}
