using System.Net;
using System.Net.Sockets;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Qemu;

public sealed class MigrationEndpointsTests
{
    private static NodeDefinition Local(string name, string? address = null) =>
        new() { Name = name, QmpSocketDir = $"/run/elsa/{name}/", MigrationAddress = address };

    private static NodeDefinition Ssh(string name, string? address = null) => new()
    {
        Name = name,
        QmpSocketDir = "/run/elsa",
        MigrationAddress = address,
        Transport = new TransportDefinition { Kind = "ssh", Host = "10.0.0.9", User = "root", IdentityFile = "/etc/elsa/id", KnownHostsFile = "/etc/elsa/kh" },
    };

    [Fact]
    public void Resolve_WhenBothNodesAreLocalWithoutAddress_ShouldUseUnixSocketsInTheTargetsSocketDir()
    {
        var endpoints = new MigrationEndpoints().Resolve(Local("node-a"), Local("node-b"), "vm100");

        Assert.Equal(new UnixSocketAddress("/run/elsa/node-b/vm100.nbd"), endpoints.NbdServer);
        Assert.Equal("unix:/run/elsa/node-b/vm100.migrate", endpoints.MigrationUri);
        Assert.False(endpoints.IsTcp);
    }

    [Fact]
    public void Resolve_WhenTheTargetHasAnAddress_ShouldListenThereOnTwoPortsFromTheRange()
    {
        var resolver = new MigrationEndpoints(new MigrationPortRange(61000, 61009));

        var endpoints = resolver.Resolve(Ssh("node-a"), Ssh("node-b", "10.0.0.2"), "vm100");

        var nbd = Assert.IsType<InetSocketAddress>(endpoints.NbdServer);
        Assert.Equal("10.0.0.2", nbd.Host);
        Assert.InRange(nbd.Port, 61000, 61008);
        Assert.Equal(0, (nbd.Port - 61000) % 2);
        Assert.Equal($"tcp:10.0.0.2:{nbd.Port + 1}", endpoints.MigrationUri);
        Assert.True(endpoints.IsTcp);
        // Stable for a VM (a retry lands on the same ports unless they are busy).
        Assert.Equal(endpoints, resolver.Resolve(Ssh("node-a"), Ssh("node-b", "10.0.0.2"), "vm100"));
    }

    [Fact]
    public void Resolve_WhenTheAddressIsIPv6_ShouldBracketItInTheUriOnly()
    {
        var endpoints = new MigrationEndpoints(new MigrationPortRange(61000, 61001)).Resolve(Ssh("node-a"), Ssh("node-b", "2001:db8::2"), "vm1");

        Assert.Equal(new InetSocketAddress("2001:db8::2", 61000), endpoints.NbdServer);
        Assert.Equal("tcp:[2001:db8::2]:61001", endpoints.MigrationUri);
    }

    [Fact]
    public void Resolve_WhenAnAddressIsGivenOnLocalNodes_ShouldUseTcpAnyway()
    {
        // An explicit address wins: e.g. nodes in separate network namespaces, or to exercise TCP on one machine.
        var endpoints = new MigrationEndpoints(new MigrationPortRange(61000, 61001)).Resolve(Local("node-a"), Local("node-b", "127.0.0.1"), "vm1");

        Assert.Equal("tcp:127.0.0.1:61001", endpoints.MigrationUri);
    }

    [Fact]
    public void Resolve_WhenPortsAreBusy_ShouldSkipToTheNextFreePairAndFailWhenNoneIsLeft()
    {
        var resolver = new MigrationEndpoints(new MigrationPortRange(61000, 61005));
        var first = (InetSocketAddress)resolver.Resolve(Ssh("a"), Ssh("b", "10.0.0.2"), "vm7").NbdServer;

        var second = (InetSocketAddress)resolver.Resolve(Ssh("a"), Ssh("b", "10.0.0.2"), "vm7", [first.Port + 1]).NbdServer;
        var ex = Assert.Throws<InvalidOperationException>(() => resolver.Resolve(Ssh("a"), Ssh("b", "10.0.0.2"), "vm7", [61000, 61003, 61004]));

        Assert.NotEqual(first.Port, second.Port);
        Assert.InRange(second.Port, 61000, 61004);
        Assert.Contains("Every port pair in the migration port range 61000-61005 is in use on node 'b'", ex.Message);
    }

    [Fact]
    public void Resolve_WhenTheNodesAreOnDifferentMachinesWithoutAddress_ShouldSayWhatToConfigure()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new MigrationEndpoints().Resolve(Local("node-a"), Ssh("node-b"), "vm100"));
        var reverse = Assert.Throws<InvalidOperationException>(() => new MigrationEndpoints().Resolve(Ssh("node-b"), Local("node-a"), "vm100"));

        Assert.Contains("Node 'node-b' has no migrationAddress", ex.Message);
        Assert.Contains("set \"migrationAddress\" of node 'node-b'", ex.Message);
        Assert.Contains("Node 'node-a' has no migrationAddress, and 'node-b' is reached over ssh", reverse.Message);
    }

    [Fact]
    public void Resolve_WhenSourceAndTargetAreTheSameNode_ShouldRefuse()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new MigrationEndpoints().Resolve(Local("node-a"), Local("node-a"), "vm100"));

        Assert.Contains("same node 'node-a'", ex.Message);
    }

    [Theory]
    [InlineData("vm1,server=on")]
    [InlineData("../vm1")]
    [InlineData("-vm")]
    [InlineData("")]
    public void Resolve_WhenTheVmIdIsInvalid_ShouldRefuse(string vmId)
    {
        Assert.Throws<ArgumentException>(() => new MigrationEndpoints().Resolve(Local("node-a"), Local("node-b"), vmId));
    }

    [Fact]
    public void Resolve_WhenTheAddressWasNotValidated_ShouldStillRefuseIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new MigrationEndpoints().Resolve(Ssh("a"), Ssh("b", "10.0.0.2,server=on"), "vm1"));

        Assert.Contains("migrationAddress '10.0.0.2,server=on'", ex.Message);
    }

    [Theory]
    [InlineData(60000, 60000, "at least two ports")]
    [InlineData(60010, 60000, "at least two ports")]
    [InlineData(80, 90, "first port 80 is outside 1024-65535")]
    [InlineData(65535, 65536, "last port 65536 is outside 1024-65535")]
    public void Constructor_WhenThePortRangeIsInvalid_ShouldSayWhy(int first, int last, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MigrationEndpoints(new MigrationPortRange(first, last)));

        Assert.Contains(expected, ex.Message);
    }

    [Fact(Timeout = 30000)]
    public async Task TcpPortsInUseAsync_ShouldSeeAPortThisTestListensOn_AndResolveShouldAvoidIt()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var range = new MigrationPortRange(port - port % 2, port - port % 2 + 3);

        var busy = await MigrationEndpoints.TcpPortsInUseAsync(NodeExecutor.Local("node-b"), cts.Token);
        var endpoints = new MigrationEndpoints(range).Resolve(Local("node-a"), Local("node-b", "127.0.0.1"), "vm1", busy);

        Assert.Contains(port, busy);
        var nbd = Assert.IsType<InetSocketAddress>(endpoints.NbdServer);
        Assert.NotEqual(port, nbd.Port);
        Assert.NotEqual($"tcp:127.0.0.1:{port}", endpoints.MigrationUri);
    }

    [Fact(Timeout = 30000)]
    public async Task TcpPortsInUseAsync_ShouldSeeTheLocalPortOfAnOutgoingConnection_WhichQemuCouldNotListenOn()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, cts.Token);
        var outgoing = ((IPEndPoint)client.Client.LocalEndPoint!).Port; // an ephemeral port, as an ssh to a node gets one

        var busy = await MigrationEndpoints.TcpPortsInUseAsync(NodeExecutor.Local("node-b"), cts.Token);
        var listening = await MigrationEndpoints.TcpPortsInUseAsync(NodeExecutor.Local("node-b"), cts.Token, listenersOnly: true);

        Assert.Contains(outgoing, busy);
        Assert.DoesNotContain(outgoing, listening);
    }
}
