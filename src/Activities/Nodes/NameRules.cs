using System.Text.RegularExpressions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// Strict patterns for every name that reaches a command line, a QEMU option or a shell on another node.
/// None may start with '-' (argument injection) or contain whitespace, quotes, ';', '$', '`', ',' or '..'.
/// </summary>
public static partial class NameRules
{
    /// <summary>Node name: lowercase letter, then lowercase letters, digits, '-' (max 63).</summary>
    public static bool IsNodeName(string? value) => value is not null && NodeNameRegex().IsMatch(value);

    /// <summary>Site name (a registered inventory): lowercase letters, digits, '-' (1..63), not starting with '-'. Anything
    /// path-like ('/', '.', '~') fails it, so a site input can never name a file on the server.</summary>
    public static bool IsSiteName(string? value) => value is not null && SiteNameRegex().IsMatch(value);

    /// <summary>VM id: letter or digit, then letters, digits, '_' or '-' (max 64).</summary>
    public static bool IsVmId(string? value) => value is not null && VmIdRegex().IsMatch(value);

    /// <summary>QEMU id (device id, drive id, node-name, job id, bitmap name): a letter, then letters, digits, '_', '-' (max 31).</summary>
    public static bool IsQemuId(string? value) => value is not null && QemuIdRegex().IsMatch(value);

    /// <summary>ZFS dataset or zvol name: '/'-separated components of letters, digits, '_', '-', '.', ':'; pool starts with a letter; no '..'.</summary>
    public static bool IsDatasetName(string? value) =>
        value is not null && value.Length <= 200 && DatasetRegex().IsMatch(value) && !value.Contains("..", StringComparison.Ordinal);

    /// <summary>The part after '@' of a snapshot: letter or digit, then letters, digits, '_', '-', '.', ':' (max 128).</summary>
    public static bool IsSnapshotName(string? value) =>
        value is not null && SnapshotRegex().IsMatch(value) && !value.Contains("..", StringComparison.Ordinal);

    /// <summary>Absolute path of safe characters only (no ',' which QEMU treats as an option separator, no '..' component).</summary>
    public static bool IsSafeAbsolutePath(string? value) =>
        value is not null && value.Length <= 1024 && PathRegex().IsMatch(value) && !value.Split('/').Contains("..");

    /// <summary>A file or volume name component (no '/').</summary>
    public static bool IsFileName(string? value) =>
        value is not null && FileNameRegex().IsMatch(value) && value != "." && !value.Contains("..", StringComparison.Ordinal);

    /// <summary>Host name, IPv4 or IPv6 address.</summary>
    public static bool IsHost(string? value) => value is not null && (HostRegex().IsMatch(value) || Ipv6Regex().IsMatch(value));

    /// <summary>POSIX user name.</summary>
    public static bool IsUserName(string? value) => value is not null && UserRegex().IsMatch(value);

    /// <summary>Throws <see cref="ArgumentException"/> naming what is invalid when <paramref name="rule"/> rejects <paramref name="value"/>.</summary>
    public static string Require(string? value, Func<string?, bool> rule, string what)
    {
        if (!rule(value))
            throw new ArgumentException($"Invalid {what} '{value}': only letters, digits and a few separators are allowed (see NameRules); fix the name.", what);
        return value!;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,62}\z")] private static partial Regex NodeNameRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,62}\z")] private static partial Regex SiteNameRegex();
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\z")] private static partial Regex VmIdRegex();
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,30}\z")] private static partial Regex QemuIdRegex();
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.:-]*(/[A-Za-z0-9][A-Za-z0-9_.:-]*)*\z")] private static partial Regex DatasetRegex();
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\z")] private static partial Regex SnapshotRegex();
    [GeneratedRegex(@"^/[A-Za-z0-9_./@+-]*\z")] private static partial Regex PathRegex();
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,254}\z")] private static partial Regex FileNameRegex();
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?\z")] private static partial Regex HostRegex();
    [GeneratedRegex(@"^[0-9A-Fa-f:]{2,39}\z")] private static partial Regex Ipv6Regex();
    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")] private static partial Regex UserRegex();
}
