using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// What this QEMU accepts, read from <c>query-qmp-schema</c> rather than guessed from its version.
/// Upstream QEMU's mirror cannot take a bitmap; Proxmox's patched QEMU adds a <c>bitmap</c> member to
/// <c>drive-mirror</c>/<c>blockdev-mirror</c>.
/// </summary>
public sealed record QmpCapabilities(
    Version QemuVersion,
    IReadOnlySet<string> Commands,
    IReadOnlySet<string> Events,
    IReadOnlySet<string> BlockdevMirrorArguments,
    IReadOnlySet<string> DriveMirrorArguments,
    IReadOnlySet<string> BlockdevBackupArguments)
{
    /// <summary><c>blockdev-mirror</c> accepts <c>bitmap</c> (Proxmox-style native bitmap mirror).</summary>
    public bool BlockdevMirrorSupportsBitmap => BlockdevMirrorArguments.Contains("bitmap");

    /// <summary><c>drive-mirror</c> accepts <c>bitmap</c>.</summary>
    public bool DriveMirrorSupportsBitmap => DriveMirrorArguments.Contains("bitmap");

    /// <summary>A mirror can start from a dirty bitmap on this QEMU.</summary>
    public bool NativeBitmapMirror => BlockdevMirrorSupportsBitmap || DriveMirrorSupportsBitmap;

    /// <summary><c>blockdev-backup</c> accepts <c>bitmap</c> (stock QEMU does: the backup-passes strategy).</summary>
    public bool BackupSupportsBitmap => BlockdevBackupArguments.Contains("bitmap");

    /// <summary>Whether QEMU knows the command.</summary>
    public bool HasCommand(string name) => Commands.Contains(name);

    /// <summary>Builds the capabilities from the raw schema array.</summary>
    public static QmpCapabilities FromSchema(JsonArray schema, Version qemuVersion)
    {
        var byName = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var entity in schema)
        {
            if (entity?["name"]?.GetValue<string>() is { } name) byName[name] = entity;
        }
        var commands = Names(schema, "command");
        var events = Names(schema, "event");
        return new QmpCapabilities(qemuVersion, commands, events,
            ArgumentsOf(byName, "blockdev-mirror"), ArgumentsOf(byName, "drive-mirror"), ArgumentsOf(byName, "blockdev-backup"));
    }

    private static HashSet<string> Names(JsonArray schema, string metaType) =>
        schema.Where(e => e?["meta-type"]?.GetValue<string>() == metaType)
              .Select(e => e!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> ArgumentsOf(Dictionary<string, JsonNode> byName, string command)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (!byName.TryGetValue(command, out var cmd) || cmd["arg-type"]?.GetValue<string>() is not { } argType) return result;
        if (!byName.TryGetValue(argType, out var type)) return result;
        CollectMembers(byName, type, result, depth: 0);
        return result;
    }

    // Arguments may be a union (with a base and variants) in some versions: collect members of all branches.
    private static void CollectMembers(Dictionary<string, JsonNode> byName, JsonNode type, HashSet<string> into, int depth)
    {
        if (depth > 4) return;
        foreach (var member in QmpArgs.Items(type["members"]))
        {
            if (member["name"]?.GetValue<string>() is { } name) into.Add(name);
        }
        foreach (var variant in QmpArgs.Items(type["variants"]))
        {
            if (variant["type"]?.GetValue<string>() is { } vt && byName.TryGetValue(vt, out var vtype))
                CollectMembers(byName, vtype, into, depth + 1);
        }
    }
}
