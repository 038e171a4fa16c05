using System.Globalization;
using System.Text;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>TCP ports QEMU may listen on for NBD and RAM migration on a target node (both ends inclusive, at least two ports).</summary>
public sealed record MigrationPortRange(int First, int Last)
{
    /// <summary>60000-60099, the range Proxmox VE uses for migration.</summary>
    public static MigrationPortRange Default { get; } = new(60000, 60099);

    /// <summary>Number of ports in the range.</summary>
    public int Count => Last - First + 1;

    /// <summary>Every problem with the range (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (First is < 1024 or > 65535) problems.Add($"first port {First} is outside 1024-65535");
        if (Last is < 1024 or > 65535) problems.Add($"last port {Last} is outside 1024-65535");
        if (Last < First + 1) problems.Add($"range {First}-{Last} must hold at least two ports (NBD and migration)");
        return problems;
    }
}

/// <summary>
/// Where the target's NBD server listens (and the source's NBD client connects), and the migration URI used by
/// <c>migrate-incoming</c> on the target and <c>migrate</c> on the source.
/// </summary>
public sealed record MigrationEndpointSet(SocketAddress NbdServer, string MigrationUri)
{
    /// <summary>True when both go over TCP (nodes on different machines, or a target with a migration address).</summary>
    public bool IsTcp => NbdServer is InetSocketAddress;
}

/// <summary>
/// Picks the NBD and migration endpoints for moving a VM from one node to another:
/// a target with a <see cref="NodeDefinition.MigrationAddress"/> listens on TCP there (ports from the range);
/// without one, two <c>local</c> nodes (this machine) use UNIX sockets in the target's <see cref="NodeDefinition.QmpSocketDir"/>;
/// anything else cannot work and is refused with what to configure.
/// </summary>
public sealed class MigrationEndpoints
{
    public MigrationEndpoints(MigrationPortRange? ports = null)
    {
        Ports = ports ?? MigrationPortRange.Default;
        var problems = Ports.Validate();
        if (problems.Count > 0) throw new ArgumentException("Invalid migration port range: " + string.Join("; ", problems), nameof(ports));
    }

    /// <summary>The TCP port range used on targets.</summary>
    public MigrationPortRange Ports { get; }

    /// <summary>
    /// The endpoints for migrating <paramref name="vmId"/> from <paramref name="source"/> to <paramref name="target"/>.
    /// TCP ports are a pair (NBD, migration) starting at a slot derived from the VM id, so concurrent migrations of
    /// different VMs to one node tend not to collide; <paramref name="busyPorts"/> (e.g. from
    /// <see cref="TcpPortsInUseAsync"/> on the target) are skipped. Throws <see cref="InvalidOperationException"/>
    /// with what to configure when no endpoint can work.
    /// </summary>
    public MigrationEndpointSet Resolve(NodeDefinition source, NodeDefinition target, string vmId, IReadOnlyCollection<int>? busyPorts = null)
    {
        NameRules.Require(vmId, NameRules.IsVmId, "VM id");
        if (source.Name == target.Name)
            throw new InvalidOperationException($"Source and target are the same node '{source.Name}': pick another target node.");
        if (target.MigrationAddress is { } address)
        {
            if (NetworkAddress.Problem(address) is { } problem)
                throw new InvalidOperationException($"Node '{target.Name}': migrationAddress '{address}' {problem}; fix it in the inventory.");
            var (nbdPort, migrationPort) = PickPorts(target.Name, vmId, busyPorts ?? []);
            return new MigrationEndpointSet(new InetSocketAddress(address, nbdPort),
                $"tcp:{NetworkAddress.ForUri(address)}:{migrationPort.ToString(CultureInfo.InvariantCulture)}");
        }
        if (source.IsLocal() && target.IsLocal())
        {
            NameRules.Require(target.QmpSocketDir, NameRules.IsSafeAbsolutePath, "qmpSocketDir");
            var dir = target.QmpSocketDir.TrimEnd('/');
            return new MigrationEndpointSet(new UnixSocketAddress($"{dir}/{vmId}.nbd"), $"unix:{dir}/{vmId}.migrate");
        }
        var remote = source.IsLocal() ? target : source;
        throw new InvalidOperationException(
            $"Node '{target.Name}' has no migrationAddress, and '{remote.Name}' is reached over {remote.Transport.Kind}, so the source and target " +
            $"QEMUs run on different machines and must migrate over TCP: set \"migrationAddress\" of node '{target.Name}' in the inventory " +
            "to an address of that node the source can connect to.");
    }

    /// <summary>TCP ports some socket holds on <paramref name="node"/>, in any state (<c>ss -H -t -a -n</c>, iproute2): not
    /// only listeners, since QEMU cannot listen on a port an outgoing connection or its TIME-WAIT holds ("Address already
    /// in use"), and the default ephemeral range overlaps the migration range (setup reserves it: scripts/setup.d).
    /// With <c>listenersOnly</c>, only listening sockets (<c>-l</c>): what still serves after a migration ended.</summary>
    public static async Task<IReadOnlySet<int>> TcpPortsInUseAsync(NodeExecutor node, CancellationToken cancellationToken = default, bool listenersOnly = false)
    {
        var result = await node.RunAsync(new NodeCommand("ss", "-H", "-t", listenersOnly ? "-l" : "-a", "-n"), cancellationToken).ConfigureAwait(false);
        var ports = new HashSet<int>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "LISTEN 0 4096 127.0.0.1:60000 0.0.0.0:*", "TIME-WAIT 0 0 127.0.0.1:60006 127.0.0.1:22": the fourth column is
            // the local address, its port after the last ':'.
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 4) continue;
            var local = columns[3];
            if (int.TryParse(local[(local.LastIndexOf(':') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)) ports.Add(port);
        }
        return ports;
    }

    private (int Nbd, int Migration) PickPorts(string targetName, string vmId, IReadOnlyCollection<int> busy)
    {
        var slots = Ports.Count / 2;
        var start = (int)(Fnv1a(vmId) % (uint)slots);
        for (var i = 0; i < slots; i++)
        {
            var nbd = Ports.First + 2 * ((start + i) % slots);
            if (!busy.Contains(nbd) && !busy.Contains(nbd + 1)) return (nbd, nbd + 1);
        }
        throw new InvalidOperationException(
            $"Every port pair in the migration port range {Ports.First}-{Ports.Last} is in use on node '{targetName}': " +
            "wait for running migrations to finish or widen the range.");
    }

    // Stable across processes (string.GetHashCode is randomized per process).
    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value)) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}
