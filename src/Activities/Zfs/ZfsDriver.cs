using System.Globalization;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Zfs;

/// <summary>
/// ZFS operations on one node. Output is read from <c>zfs get -H -p -o name,property,value</c> (tab-separated, exact
/// numbers): zfs-fuse 0.7's <c>zfs list</c> has no <c>-p</c>, while <c>zfs get -H -p</c> works there and on OpenZFS.
/// Every name is validated against <see cref="NameRules"/> before use.
/// </summary>
public sealed class ZfsDriver
{
    private static readonly TimeSpan BusyRetryDelay = TimeSpan.FromMilliseconds(300);
    private const int BusyAttempts = 6;
    private readonly ILogger _logger;

    public ZfsDriver(NodeExecutor node, ILogger? logger = null)
    {
        Node = node;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The node this driver runs zfs on.</summary>
    public NodeExecutor Node { get; }

    /// <summary><c>zfs snapshot dataset@name</c>.</summary>
    public async Task<ZfsSnapshot> SnapshotAsync(string dataset, string snapshotName, CancellationToken cancellationToken = default)
    {
        RequireDataset(dataset);
        NameRules.Require(snapshotName, NameRules.IsSnapshotName, "snapshot name");
        await RunAsync(["snapshot", dataset + "@" + snapshotName], cancellationToken).ConfigureAwait(false);
        var snapshots = await ListSnapshotsAsync(dataset, cancellationToken).ConfigureAwait(false);
        return snapshots.Single(s => s.Name == snapshotName);
    }

    /// <summary>Snapshots of <paramref name="dataset"/> itself (not of children), oldest first (by creation txg).</summary>
    public async Task<IReadOnlyList<ZfsSnapshot>> ListSnapshotsAsync(string dataset, CancellationToken cancellationToken = default)
    {
        RequireDataset(dataset);
        var rows = await GetPropertiesAsync(["-r", "-d", "1"], ["type", "guid", "createtxg", "creation", "used", "referenced"], dataset, cancellationToken).ConfigureAwait(false);
        return rows.Where(r => r.Key.StartsWith(dataset + "@", StringComparison.Ordinal) && r.Value.GetValueOrDefault("type") == "snapshot")
            .Select(r => new ZfsSnapshot(dataset, r.Key[(dataset.Length + 1)..],
                ulong.Parse(r.Value["guid"], CultureInfo.InvariantCulture), ParseLong(r.Value, "createtxg"),
                DateTimeOffset.FromUnixTimeSeconds(ParseLong(r.Value, "creation")), ParseLong(r.Value, "used"), ParseLong(r.Value, "referenced")))
            .OrderBy(s => s.CreateTxg)
            .ToList();
    }

    /// <summary>Filesystems and volumes at and below <paramref name="root"/>.</summary>
    public async Task<IReadOnlyList<ZfsDataset>> ListDatasetsAsync(string root, CancellationToken cancellationToken = default)
    {
        RequireDataset(root);
        var rows = await GetPropertiesAsync(["-r"], ["type", "used", "available", "referenced", "mountpoint"], root, cancellationToken).ConfigureAwait(false);
        return rows.Where(r => r.Value.GetValueOrDefault("type") is "filesystem" or "volume")
            .Select(r => new ZfsDataset(r.Key, r.Value["type"] == "volume" ? ZfsDatasetType.Volume : ZfsDatasetType.Filesystem,
                ParseLong(r.Value, "used"), ParseLong(r.Value, "available"), ParseLong(r.Value, "referenced"),
                r.Value.GetValueOrDefault("mountpoint") is { } mp && mp.StartsWith('/') ? mp : null))
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Whether the dataset (or snapshot) exists.</summary>
    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        RequireDatasetOrSnapshot(name);
        var result = await Node.TryRunAsync(new NodeCommand("zfs", "get", "-H", "-p", "-o", "value", "type", name), cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) return true;
        if (result.StandardError.Contains("does not exist", StringComparison.Ordinal)) return false;
        throw Error(["get", "-H", "-p", "-o", "value", "type", name], result.ExitCode, result.StandardError.Trim(), null);
    }

    /// <summary><c>zfs create -p [-o k=v]... dataset</c>.</summary>
    public Task CreateDatasetAsync(string dataset, IReadOnlyDictionary<string, string>? properties = null, CancellationToken cancellationToken = default)
    {
        RequireDataset(dataset);
        var args = new List<string> { "create", "-p" };
        foreach (var (key, value) in properties ?? new Dictionary<string, string>())
        {
            RequireProperty(key, value);
            args.Add("-o");
            args.Add(key + "=" + value);
        }
        args.Add(dataset);
        return RunAsync(args, cancellationToken);
    }

    /// <summary>
    /// <c>zfs create -o key=value... [-V size] dataset</c> without <c>-p</c>: fails when the dataset exists (OpenZFS's
    /// <c>-p</c> would succeed silently and ignore the properties), so a caller that got here created it. The properties
    /// are set atomically with the creation (e.g. the migration's ownership mark). A size makes a zvol (not on zfs-fuse).
    /// </summary>
    public Task CreateExclusiveAsync(string dataset, IReadOnlyDictionary<string, string> properties, long? volumeSizeBytes = null,
        CancellationToken cancellationToken = default)
    {
        RequireDataset(dataset);
        var args = new List<string> { "create" };
        foreach (var (key, value) in properties)
        {
            RequireProperty(key, value);
            args.Add("-o");
            args.Add(key + "=" + value);
        }
        if (volumeSizeBytes is { } size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
            args.Add("-V");
            args.Add(size.ToString(CultureInfo.InvariantCulture));
        }
        args.Add(dataset);
        return RunAsync(args, cancellationToken);
    }

    /// <summary>
    /// <c>zfs snapshot -o key=value... ds1@name ds2@name ...</c>: one command where zfs accepts several (atomic within a
    /// pool), the properties set on every snapshot as it is made. zfs-fuse 0.7 takes one snapshot per command ("too many
    /// arguments"): there they are taken one after the other and, should one fail, those already taken are destroyed
    /// again, so either all exist afterwards or none. Returns false when they were not taken atomically (several disks
    /// are then mutually consistent only if the guest is frozen or stopped across them).
    /// </summary>
    public async Task<bool> SnapshotAllAsync(IReadOnlyList<string> datasets, string snapshotName, IReadOnlyDictionary<string, string> properties,
        CancellationToken cancellationToken = default)
    {
        NameRules.Require(snapshotName, NameRules.IsSnapshotName, "snapshot name");
        var options = new List<string>();
        foreach (var (key, value) in properties)
        {
            RequireProperty(key, value);
            options.Add("-o");
            options.Add(key + "=" + value);
        }
        foreach (var dataset in datasets) RequireDataset(dataset);
        var names = datasets.Select(d => d + "@" + snapshotName).ToList();
        try
        {
            await RunAsync(["snapshot", .. options, .. names], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZfsException ex) when (names.Count > 1 && ex.StandardError.Contains("too many arguments", StringComparison.Ordinal))
        {
            // A usage error: nothing was taken. One by one, then.
        }
        var taken = new List<string>();
        try
        {
            foreach (var name in names)
            {
                await RunAsync(["snapshot", .. options, name], cancellationToken).ConfigureAwait(false);
                taken.Add(name);
            }
        }
        catch (ZfsException)
        {
            foreach (var name in taken) await DestroyAsync(name, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return false;
    }

    /// <summary>
    /// <c>zfs rename from to</c>. zfs-fuse refuses to rename a mounted filesystem ("dataset is busy"); then it is
    /// renamed unmounted (<c>mountpoint=none</c>) and its mountpoint inherited again, which is where it would be anyway.
    /// </summary>
    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        RequireDataset(from);
        RequireDataset(to);
        try
        {
            await RunAsync(["rename", from, to], cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (ZfsException ex) when (ex.StandardError.Contains("busy", StringComparison.OrdinalIgnoreCase))
        {
            _logger.LogInformation("zfs rename {From} on {Node} was busy; renaming it unmounted", from, Node.NodeName);
        }
        await RunAsync(["set", "mountpoint=none", from], cancellationToken).ConfigureAwait(false);
        await RunAsync(["rename", from, to], cancellationToken).ConfigureAwait(false);
        await RunAsync(["inherit", "mountpoint", to], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value of a user property (e.g. <c>elsa:migration</c>), or null when it is not set.</summary>
    public async Task<string?> GetUserPropertyAsync(string target, string property, CancellationToken cancellationToken = default)
    {
        var value = await GetPropertyAsync(target, property, cancellationToken).ConfigureAwait(false);
        return value is "-" or "" ? null : value;
    }

    /// <summary><c>zfs set property=value target</c>.</summary>
    public Task SetPropertyAsync(string target, string property, string value, CancellationToken cancellationToken = default)
    {
        RequireDatasetOrSnapshot(target);
        RequireProperty(property, value);
        return RunAsync(["set", property + "=" + value, target], cancellationToken);
    }

    /// <summary><c>zfs get -H -p -o value property target</c>.</summary>
    public async Task<string> GetPropertyAsync(string target, string property, CancellationToken cancellationToken = default)
    {
        RequireDatasetOrSnapshot(target);
        RequireProperty(property, "x");
        var output = await RunAsync(["get", "-H", "-p", "-o", "value", property, target], cancellationToken).ConfigureAwait(false);
        return output.TrimEnd('\n');
    }

    /// <summary>
    /// Bytes written to <paramref name="dataset"/> since <paramref name="snapshot"/> (OpenZFS's <c>written@snapshot</c>);
    /// null when this zfs has no such property (zfs-fuse 0.7). Reads only.
    /// </summary>
    public async Task<long?> WrittenSinceAsync(string dataset, string snapshot, CancellationToken cancellationToken = default)
    {
        RequireDataset(dataset);
        NameRules.Require(snapshot, NameRules.IsSnapshotName, "snapshot name");
        string[] args = ["get", "-H", "-p", "-o", "value", "written@" + snapshot, dataset];
        var result = await Node.TryRunAsync(new NodeCommand("zfs", args), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            return result.StandardError.Contains("invalid property", StringComparison.Ordinal) ? null : throw Error(args, result.ExitCode, result.StandardError.Trim(), null);
        return long.TryParse(result.StandardOutput.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
    }

    /// <summary>
    /// The size of the incremental stream from <paramref name="fromSnapshot"/> to <paramref name="toSnapshot"/> as
    /// <c>zfs send -nvP</c> estimates it (a dry run: nothing is sent); null when this zfs has no dry run (zfs-fuse 0.7).
    /// </summary>
    public async Task<long?> EstimateSendAsync(string dataset, string fromSnapshot, string toSnapshot, CancellationToken cancellationToken = default)
    {
        var send = SendCommand(dataset, toSnapshot, fromSnapshot);
        string[] args = ["send", "-n", "-v", "-P", .. send.Arguments.Skip(1)];
        var result = await Node.TryRunAsync(new NodeCommand("zfs", args), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) return null;
        // "size<TAB>12345" (OpenZFS prints the dry run's lines on stdout or stderr depending on the version).
        foreach (var line in (result.StandardOutput + "\n" + result.StandardError).Split('\n'))
        {
            var fields = line.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && fields[0] == "size" && long.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes))
                return bytes;
        }
        return null;
    }

    /// <summary><c>zfs destroy [-r] target</c>, retried a few times (with a growing pause) while ZFS says the dataset is busy.</summary>
    public async Task DestroyAsync(string target, bool recursive = false, CancellationToken cancellationToken = default)
    {
        RequireDatasetOrSnapshot(target);
        string[] args = recursive ? ["destroy", "-r", target] : ["destroy", target];
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RunAsync(args, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ZfsException ex) when (attempt == BusyAttempts && ex.StandardError.Contains("busy", StringComparison.OrdinalIgnoreCase))
            {
                // Say how long it was waited for: the operator must find what still holds it.
                throw Error(args, ex.ExitCode, $"{ex.StandardError} (still busy after {attempt} attempts in {(BusyRetryDelay * (attempt * (attempt - 1) / 2)).TotalSeconds:0.#} s)", ex);
            }
            catch (ZfsException ex) when (ex.StandardError.Contains("busy", StringComparison.OrdinalIgnoreCase))
            {
                // zfs-fuse reports busy for a moment after a mount, unmount or receive (see the facts doc).
                _logger.LogInformation("zfs destroy {Target} on {Node} was busy (attempt {Attempt}); retrying", target, Node.NodeName, attempt);
                await Task.Delay(BusyRetryDelay * attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Keeps the <paramref name="keep"/> newest snapshots of <paramref name="dataset"/> whose names start with
    /// <paramref name="prefix"/> (ours) and destroys the older ones; other snapshots are never touched. Returns what was destroyed.
    /// </summary>
    public async Task<IReadOnlyList<ZfsSnapshot>> PruneSnapshotsAsync(string dataset, string prefix, int keep, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        NameRules.Require(prefix, NameRules.IsSnapshotName, "snapshot prefix");
        var ours = (await ListSnapshotsAsync(dataset, cancellationToken).ConfigureAwait(false))
            .Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var doomed = ours.Take(Math.Max(0, ours.Count - keep)).ToList();
        foreach (var snapshot in doomed)
            await DestroyAsync(snapshot.FullName, cancellationToken: cancellationToken).ConfigureAwait(false);
        return doomed;
    }

    /// <summary><c>dataset@snapshot</c>, both parts validated.</summary>
    public static string SnapshotName(string dataset, string snapshot) =>
        NameRules.Require(dataset, NameRules.IsDatasetName, "dataset name") + "@" + NameRules.Require(snapshot, NameRules.IsSnapshotName, "snapshot name");

    /// <summary>The command that writes a send stream of <paramref name="snapshot"/> (incremental from <paramref name="fromSnapshot"/> when given) to stdout.</summary>
    public static NodeCommand SendCommand(string dataset, string snapshot, string? fromSnapshot)
    {
        RequireDataset(dataset);
        NameRules.Require(snapshot, NameRules.IsSnapshotName, "snapshot name");
        if (fromSnapshot is null) return new NodeCommand("zfs", "send", dataset + "@" + snapshot);
        NameRules.Require(fromSnapshot, NameRules.IsSnapshotName, "snapshot name");
        return new NodeCommand("zfs", "send", "-i", dataset + "@" + fromSnapshot, dataset + "@" + snapshot);
    }

    /// <summary>The command that receives a stream from stdin into <paramref name="dataset"/>, rolling back local changes (<c>-F</c>).</summary>
    public static NodeCommand ReceiveCommand(string dataset)
    {
        RequireDataset(dataset);
        return new NodeCommand("zfs", "recv", "-F", dataset);
    }

    private async Task<string> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var result = await Node.TryRunAsync(new NodeCommand("zfs", args), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) throw Error(args, result.ExitCode, result.StandardError.Trim(), null);
        return result.StandardOutput;
    }

    private async Task<Dictionary<string, Dictionary<string, string>>> GetPropertiesAsync(string[] flags, string[] properties, string target, CancellationToken cancellationToken)
    {
        string[] args = ["get", "-H", "-p", .. flags, "-o", "name,property,value", string.Join(',', properties), target];
        var output = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        var rows = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length != 3)
                throw Error(args, 0, $"unexpected output line '{line}' (expected name<TAB>property<TAB>value)", null);
            if (!rows.TryGetValue(fields[0], out var props)) rows[fields[0]] = props = new Dictionary<string, string>(StringComparer.Ordinal);
            props[fields[1]] = fields[2];
        }
        return rows;
    }

    internal ZfsException Error(IReadOnlyList<string> args, int exitCode, string stderr, Exception? inner) =>
        new(Node.NodeName, args, exitCode, stderr, Hint(stderr), inner);

    internal static string? Hint(string stderr) => stderr switch
    {
        _ when stderr.Contains("has been modified", StringComparison.Ordinal) =>
            "The target changed since its last snapshot (even a read updates atime): receive with -F or set readonly=on after the first receive.",
        _ when stderr.Contains("does not exist", StringComparison.Ordinal) => "Check the dataset/snapshot name and the node's pool.",
        _ when stderr.Contains("daemon is running", StringComparison.Ordinal) || stderr.Contains("failed to initialize ZFS", StringComparison.Ordinal) =>
            "The ZFS daemon is not running on this node (zfs-fuse: start it with zfs-fuse --pidfile F --no-kstat-mount).",
        _ when stderr.Contains("busy", StringComparison.OrdinalIgnoreCase) => "Something still uses it (a mount, a QEMU process, a zfs send still streaming it): stop that first.",
        _ => null,
    };

    private static long ParseLong(Dictionary<string, string> props, string key) =>
        props.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static void RequireDataset(string name) => NameRules.Require(name, NameRules.IsDatasetName, "dataset name");

    private static void RequireDatasetOrSnapshot(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at < 0)
        {
            RequireDataset(name);
            return;
        }
        RequireDataset(name[..at]);
        NameRules.Require(name[(at + 1)..], NameRules.IsSnapshotName, "snapshot name");
    }

    private static void RequireProperty(string key, string value)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(key, "^[a-z][a-z0-9_.:]*$") ||
            !System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z0-9_./:@+-]+$"))
            throw new ArgumentException($"Invalid ZFS property '{key}={value}': use lowercase names and plain values.");
    }
}
