using System.Diagnostics;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>
/// QMP to a QEMU on "another node": a real sshd on loopback, ssh + socat relaying the QMP socket, a real
/// guest-less QEMU under TCG. The orchestrator sees the node only through its inventory definition.
/// </summary>
public sealed class QmpOverSshTests(ITestOutputHelper output)
{
    [Fact(Timeout = 90000)]
    public async Task QmpOverSsh_ShouldQueryStatusAndBlocksReceiveEventsAndEndTheSshProcessOnDispose()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(85));
        TestTools.Require("socat");
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var qemu = await GuestlessQemu.StartAsync(cts.Token);
        var node = RemoteNode(sshd, qemu.Directory);

        var clock = Stopwatch.StartNew();
        var qmp = await QmpConnector.ConnectAsync(node, qemu.QmpSocket, new QmpClientOptions { Name = "remote/qmp" }, cancellationToken: cts.Token);
        clock.Stop();
        var relays = ProcessProbe.Find(qemu.QmpSocket).Where(p => p.Program is "ssh" or "socat").ToList();
        var status = await qmp.QueryStatusAsync(cts.Token);
        var blocks = await qmp.QueryBlockAsync(cts.Token);
        var stop = await qmp.WaitForEventAsync<StopEvent>(() => qmp.StopAsync(cts.Token), null, TimeSpan.FromSeconds(10), cts.Token);
        var paused = await qmp.QueryStatusAsync(cts.Token);
        await qmp.DisposeAsync();
        var left = await ProcessProbe.WaitGoneAsync(qemu.QmpSocket, TimeSpan.FromSeconds(5), cts.Token);

        Assert.Equal(RunState.Running, status.Status);
        var drive = Assert.Single(blocks);
        Assert.Equal("drive0", drive.Device);
        Assert.Equal(qemu.DiskPath, drive.Inserted!.File);
        Assert.Equal("STOP", stop.Name);
        Assert.Equal(RunState.Paused, paused.Status);
        Assert.Contains(relays, p => p.Program == "ssh");
        Assert.Contains(relays, p => p.Program == "socat");
        // Nothing but QEMU itself (whose -qmp option names the socket) is left.
        Assert.Equal([qemu.ProcessId], left.Select(p => p.Pid));
        Assert.False(qmp.IsConnected);

        // The monitor was released: a second connection works and sees the state the first one left.
        var again = Stopwatch.StartNew();
        await using var second = await QmpConnector.ConnectAsync(node, qemu.QmpSocket, cancellationToken: cts.Token);
        again.Stop();
        Assert.Equal(RunState.Paused, (await second.QueryStatusAsync(cts.Token)).Status);
        var roundTrip = Stopwatch.StartNew();
        await second.QueryStatusAsync(cts.Token);
        roundTrip.Stop();
        output.WriteLine($"QMP over ssh: connect+handshake {clock.Elapsed.TotalMilliseconds:0} ms (first), {again.Elapsed.TotalMilliseconds:0} ms (second); " +
                         $"query-status round trip {roundTrip.Elapsed.TotalMilliseconds:0.0} ms; relays: {string.Join(", ", relays)}");
    }

    [Fact(Timeout = 90000)]
    public async Task QmpOverSsh_WhenQemuQuits_ShouldCloseTheClientAndEndTheRelay()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(85));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var qemu = await GuestlessQemu.StartAsync(cts.Token);
        await using var qmp = await QmpConnector.ConnectAsync(RemoteNode(sshd, qemu.Directory), qemu.QmpSocket, cancellationToken: cts.Token);
        using var shutdown = qmp.ExpectEvent<ShutdownEvent>();

        await qmp.QuitAsync(cts.Token);
        var ev = await shutdown.WaitAsync(TimeSpan.FromSeconds(10), cts.Token);
        await qmp.Completion.WaitAsync(TimeSpan.FromSeconds(10), cts.Token);

        Assert.Equal("host-qmp-quit", ev.Reason);
        Assert.False(qmp.IsConnected);
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => qmp.QueryStatusAsync(cts.Token));
        Assert.Empty(await ProcessProbe.WaitGoneAsync(qemu.QmpSocket, TimeSpan.FromSeconds(5), cts.Token));
    }

    [Fact(Timeout = 90000)]
    public async Task QmpOverSsh_WhenTheSshProcessDies_ShouldFailCommandsWithTheRelayExitCode()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(85));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        await using var qemu = await GuestlessQemu.StartAsync(cts.Token);
        await using var qmp = await QmpConnector.ConnectAsync(RemoteNode(sshd, qemu.Directory), qemu.QmpSocket, cancellationToken: cts.Token);
        var ssh = Assert.Single(ProcessProbe.Find(qemu.QmpSocket), p => p.Program == "ssh");

        using (var process = Process.GetProcessById(ssh.Pid)) process.Kill();
        await qmp.Completion.WaitAsync(TimeSpan.FromSeconds(10), cts.Token);
        var ex = await Assert.ThrowsAsync<QmpDisconnectedException>(() => qmp.QueryStatusAsync(cts.Token));

        Assert.Contains("relay process failed", ex.Message);
        Assert.Contains("exit code: 137", ex.Message);
        output.WriteLine(ex.Message);
    }

    [Fact(Timeout = 60000)]
    public async Task QmpConnector_WhenTheSocketDoesNotExist_ShouldRetryThenFailWithAClearMessage()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var dir = TestTools.CreateTempDir("elsa-qmpssh");
        try
        {
            var missing = Path.Combine(dir, "vm404.qmp");
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<QmpDisconnectedException>(() => QmpConnector.ConnectAsync(RemoteNode(sshd, dir), missing,
                new QmpClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1.5) }, cancellationToken: cts.Token));
            clock.Stop();

            Assert.Contains($"Cannot connect to QMP socket '{missing}' on node 'node-b' via ssh {Environment.UserName}@127.0.0.1:{sshd.Port} (retried for 1.5 s)", ex.Message);
            Assert.Contains("No UNIX socket", ex.Message);
            Assert.Contains($"-qmp unix:{missing},server=on,wait=off", ex.Message);
            var inner = Assert.IsType<NodeSocketException>(ex.InnerException);
            Assert.Equal(NodeSocketFailure.SocketNotFound, inner.Failure);
            Assert.Contains("No such file or directory", inner.StandardError);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
            output.WriteLine($"{ex.Message} ({clock.Elapsed.TotalMilliseconds:0} ms)");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task QmpConnector_OnALocalNode_ShouldConnectDirectly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        await using var qemu = await GuestlessQemu.StartAsync(cts.Token);
        var node = new NodeDefinition { Name = "node-a", QmpSocketDir = qemu.Directory };

        await using var qmp = await QmpConnector.ConnectAsync(node, qemu.QmpSocket, cancellationToken: cts.Token);

        Assert.Equal(RunState.Running, (await qmp.QueryStatusAsync(cts.Token)).Status);
        Assert.DoesNotContain(ProcessProbe.Find(qemu.QmpSocket), p => p.Program is "ssh" or "socat");
    }

    private static NodeDefinition RemoteNode(SshdFixture sshd, string socketDir) => new()
    {
        Name = "node-b",
        QmpSocketDir = socketDir,
        Transport = sshd.Transport(),
    };
}
