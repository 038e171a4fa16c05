using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>Streams to UNIX sockets on a node: directly when local, through a real sshd on loopback running socat otherwise.</summary>
public sealed class NodeSocketConnectorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = TestTools.CreateTempDir("elsa-sock");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 60000)]
    public async Task ConnectAsync_OverSsh_ShouldCarryEveryByteValueBothWaysAndDisposeShouldEndTheRelay()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        TestTools.Require("socat");
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var server = new UnixEchoServer(Path.Combine(_dir, "echo.sock"));
        var connector = new NodeSocketConnector("remote", new SshTransport(sshd.Endpoint()));
        var payload = Enumerable.Range(0, 64 * 1024).Select(i => (byte)(i * 7 % 256)).ToArray();

        var clock = Stopwatch.StartNew();
        var stream = await connector.ConnectAsync(server.Path, cts.Token);
        clock.Stop();
        var relays = ProcessProbe.Find(server.Path);
        var echoed = new byte[payload.Length];
        var reading = ReadExactlyAsync(stream, echoed, cts.Token);
        await stream.WriteAsync(payload, cts.Token);
        await stream.FlushAsync(cts.Token);
        await reading;
        await stream.DisposeAsync();
        var left = await ProcessProbe.WaitGoneAsync(server.Path, TimeSpan.FromSeconds(5), cts.Token);

        Assert.Equal(payload, echoed);
        Assert.Contains(relays, p => p.Program == "ssh");
        Assert.Contains(relays, p => p.Program == "socat");
        Assert.Empty(left);
        Assert.Equal(1, server.ClientsClosed);
        output.WriteLine($"ssh+socat connect: {clock.Elapsed.TotalMilliseconds:0} ms; relays while connected: {string.Join(", ", relays)}");
    }

    [Fact(Timeout = 60000)]
    public async Task ConnectAsync_OverSsh_WhenSocketIsMissing_ShouldFailWithSocketNotFoundAndSocatsError()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var connector = new NodeSocketConnector("remote", new SshTransport(sshd.Endpoint()));
        var missing = Path.Combine(_dir, "nothing.qmp");

        var ex = await Assert.ThrowsAsync<NodeSocketException>(() => connector.ConnectAsync(missing, cts.Token).AsTask());

        Assert.Equal(NodeSocketFailure.SocketNotFound, ex.Failure);
        Assert.True(ex.IsRetryable);
        Assert.Equal(1, ex.ExitCode);
        Assert.Contains("No such file or directory", ex.StandardError);
        Assert.Contains($"No UNIX socket '{missing}' on node 'remote'", ex.Message);
        Assert.Contains("socat", ex.Message); // the command line is part of the message
        Assert.Empty(ProcessProbe.Find(missing));
        output.WriteLine(ex.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task ConnectAsync_OverSsh_WhenSocatIsNotInstalledOnTheNode_ShouldSaySo()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        // The node's shell finds no socat on its PATH.
        await using var sshd = await SshdFixture.StartAsync(cts.Token, "SetEnv PATH=/nonexistent-elsa-bin");
        await using var server = new UnixEchoServer(Path.Combine(_dir, "echo.sock"));
        var connector = new NodeSocketConnector("remote", new SshTransport(sshd.Endpoint()));

        var ex = await Assert.ThrowsAsync<NodeSocketException>(() => connector.ConnectAsync(server.Path, cts.Token).AsTask());

        Assert.Equal(NodeSocketFailure.SocatMissing, ex.Failure);
        Assert.Equal(127, ex.ExitCode);
        Assert.Contains("'socat' is not installed on node 'remote'", ex.Message);
        Assert.False(ex.IsRetryable);
        output.WriteLine(ex.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task ConnectAsync_OverSsh_WhenHostKeyIsUnknown_ShouldFailAsTransportFailure()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var emptyKnownHosts = Path.Combine(_dir, "known_hosts");
        await File.WriteAllTextAsync(emptyKnownHosts, "", cts.Token);
        var connector = new NodeSocketConnector("remote", new SshTransport(sshd.Endpoint(emptyKnownHosts)));

        var ex = await Assert.ThrowsAsync<NodeSocketException>(() => connector.ConnectAsync(Path.Combine(_dir, "x.sock"), cts.Token).AsTask());

        Assert.Equal(NodeSocketFailure.TransportFailed, ex.Failure);
        Assert.Equal(255, ex.ExitCode);
        Assert.Contains("Host key verification failed", ex.StandardError);
    }

    [Fact(Timeout = 60000)]
    public async Task Read_WhenTheRelayIsKilled_ShouldThrowWithItsExitCode()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var server = new UnixEchoServer(Path.Combine(_dir, "echo.sock"));
        var connector = new NodeSocketConnector("remote", new SshTransport(sshd.Endpoint()));
        await using var stream = await connector.ConnectAsync(server.Path, cts.Token);
        var ssh = Assert.Single(ProcessProbe.Find(server.Path), p => p.Program == "ssh");

        using (var process = Process.GetProcessById(ssh.Pid)) process.Kill();
        var ex = await Assert.ThrowsAsync<NodeSocketException>(async () => await stream.ReadExactlyAsync(new byte[16], cts.Token));

        Assert.Equal(NodeSocketFailure.Failed, ex.Failure);
        Assert.Equal(137, ex.ExitCode);
        Assert.Contains("relay process failed", ex.Message);
    }

    [Fact(Timeout = 30000)]
    public async Task ConnectAsync_OnALocalNode_ShouldConnectToTheSocketDirectly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var server = new UnixEchoServer(Path.Combine(_dir, "echo.sock"));
        var connector = new NodeSocketConnector("here", new LocalTransport());

        await using (var stream = await connector.ConnectAsync(server.Path, cts.Token))
        {
            await stream.WriteAsync("ping\n"u8.ToArray(), cts.Token);
            var back = new byte[5];
            await ReadExactlyAsync(stream, back, cts.Token);
            Assert.Equal("ping\n"u8.ToArray(), back);
            Assert.IsType<System.Net.Sockets.NetworkStream>(stream);
        }
        var missing = await Assert.ThrowsAsync<NodeSocketException>(() => connector.ConnectAsync(Path.Combine(_dir, "none.sock"), cts.Token).AsTask());
        Assert.Equal(NodeSocketFailure.SocketNotFound, missing.Failure);
        Assert.Null(missing.Process);
    }

    [Theory]
    [InlineData("relative/path.sock")]
    [InlineData("/tmp/a,server=on.sock")]
    [InlineData("/tmp/a:b.sock")]
    [InlineData("/tmp/../etc/shadow")]
    [InlineData("/tmp/a b.sock")]
    [InlineData("/tmp/$(touch x).sock")]
    [InlineData("/tmp/a!b.sock")]
    [InlineData("-/tmp/x")]
    public async Task ConnectAsync_WhenThePathIsUnsafe_ShouldRefuseBeforeStartingAnything(string path)
    {
        var connector = new NodeSocketConnector("remote", new SshTransport(new SshEndpoint("127.0.0.1", 22, "root", "/nonexistent/key", "/nonexistent/known_hosts")));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => connector.ConnectAsync(path).AsTask());

        Assert.Contains("socket path", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_WhenThePathIsLongerThanASocketAllows_ShouldSayWhy()
    {
        var connector = new NodeSocketConnector("here", new LocalTransport());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => connector.ConnectAsync("/tmp/" + new string('a', 110)).AsTask());

        Assert.Contains("107 bytes", ex.Message);
    }

    private static async Task ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), ct);
            Assert.True(read > 0, $"stream ended after {total} of {buffer.Length} bytes");
            total += read;
        }
    }
}
