using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>Builds QMP argument objects and reads QMP replies (shared by the typed command classes).</summary>
internal static class QmpArgs
{
    public static JsonObject Bitmap(string node, string name, long? granularity, bool persistent)
    {
        var args = new JsonObject { ["node"] = node, ["name"] = name, ["persistent"] = persistent };
        if (granularity is { } g) args["granularity"] = g;
        return args;
    }

    public static JsonObject Mirror(BlockdevMirrorOptions o)
    {
        var args = new JsonObject
        {
            ["job-id"] = o.JobId,
            ["device"] = o.Device,
            ["target"] = o.Target,
            ["sync"] = QmpEnum.ToQapi(o.Sync),
        };
        if (o.Speed is { } speed) args["speed"] = speed;
        if (o.CopyMode is { } mode) args["copy-mode"] = QmpEnum.ToQapi(mode);
        if (o.Granularity is { } g) args["granularity"] = g;
        if (o.AutoFinalize is { } af) args["auto-finalize"] = af;
        if (o.AutoDismiss is { } ad) args["auto-dismiss"] = ad;
        if (o.Bitmap is { } bitmap) args["bitmap"] = bitmap;
        if (o.BitmapMode is { } bm) args["bitmap-mode"] = QmpEnum.ToQapi(bm);
        return args;
    }

    public static JsonObject Backup(BlockdevBackupOptions o)
    {
        var args = new JsonObject
        {
            ["job-id"] = o.JobId,
            ["device"] = o.Device,
            ["target"] = o.Target,
            ["sync"] = QmpEnum.ToQapi(o.Sync),
        };
        if (o.Bitmap is { } bitmap) args["bitmap"] = bitmap;
        if (o.BitmapMode is { } bm) args["bitmap-mode"] = QmpEnum.ToQapi(bm);
        if (o.Speed is { } speed) args["speed"] = speed;
        if (o.AutoFinalize is { } af) args["auto-finalize"] = af;
        if (o.AutoDismiss is { } ad) args["auto-dismiss"] = ad;
        return args;
    }

    public static string Str(JsonNode? node, string key) => node?[key]?.GetValue<string>() ?? "";

    public static string? StrOrNull(JsonNode? node, string key) => node?[key]?.GetValue<string>();

    public static long Long(JsonNode? node, string key) => node?[key]?.GetValue<long>() ?? 0;

    public static long? LongOrNull(JsonNode? node, string key) => node?[key]?.GetValue<long>();

    public static bool Bool(JsonNode? node, string key) => node?[key]?.GetValue<bool>() ?? false;

    public static IEnumerable<JsonNode> Items(JsonNode? node) =>
        node is JsonArray array ? array.Where(n => n is not null).Select(n => n!) : [];

    public static IReadOnlyList<DirtyBitmapInfo> Bitmaps(JsonNode? array) =>
        Items(array).Select(b => new DirtyBitmapInfo(StrOrNull(b, "name"), Long(b, "count"), Long(b, "granularity"),
            Bool(b, "recording"), Bool(b, "busy"), Bool(b, "persistent"))).ToList();
}
