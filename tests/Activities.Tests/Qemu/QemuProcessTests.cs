using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Activities.Tests.Nodes;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>
/// QemuProcess against real processes, locally and through a real sshd on loopback: a missing pid file is "absent", a
/// live process started with the pid file is "ours", and a node whose sshd is stopped is "could not ask", never absent.
/// </summary>
public sealed class QemuProcessTests : IDisposable
{
    private readonly string _dir = TestTools.CreateTempDir("elsa-qproc");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 60_000)]
    public async Task StopAsync_OfALiveProcessStartedWithThePidFile_ShouldTerminateItAndThenFindItNotRunning()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(55));
        var node = NodeExecutor.Local("local");
        var pidFile = Path.Combine(_dir, "vm.pid");
        await File.WriteAllTextAsync(pidFile, "", cts.Token);
        // A stand-in whose argv names the pid file, as QEMU's -pidfile does.
        using var process = Process.Start(new ProcessStartInfo("tail", ["-f", pidFile]))!;
        try
        {
            await File.WriteAllTextAsync(pidFile, process.Id + "\n", cts.Token);

            Assert.Equal(new QemuProcessState(process.Id, true), await QemuProcess.StatusAsync(node, pidFile, cts.Token));
            Assert.False(await QemuProcess.IsOursAsync(node, Environment.ProcessId, pidFile, cts.Token), "a pid without the pid file on its command line is not ours");
            var (result, pid) = await QemuProcess.StopAsync(node, pidFile, TimeSpan.FromSeconds(5), cts.Token);

            Assert.Equal((QemuStopResult.Terminated, process.Id), (result, pid));
            Assert.True(process.WaitForExit(5000), "the process still runs");
            Assert.Equal((QemuStopResult.NotRunning, (int?)process.Id), await QemuProcess.StopAsync(node, pidFile, TimeSpan.FromSeconds(1), cts.Token));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task StatusAsync_OverSsh_ShouldSayAbsentWhileSshdAnswersAndThrowUnreachableOnceItIsStopped()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(85));
        TestTools.Require("ssh");
        await using var sshd = await SshdFixture.StartAsync(cts.Token);
        var node = new NodeExecutor("remote", new SshTransport(sshd.Endpoint()));
        var pidFile = Path.Combine(_dir, "absent.pid");

        Assert.Equal(new QemuProcessState(null, false), await QemuProcess.StatusAsync(node, pidFile, cts.Token));

        await sshd.StopAsync();
        var status = await Assert.ThrowsAsync<NodeUnreachableException>(() => QemuProcess.StatusAsync(node, pidFile, cts.Token));
        var stop = await Assert.ThrowsAsync<NodeUnreachableException>(() => QemuProcess.StopAsync(node, pidFile, TimeSpan.FromSeconds(1), cts.Token));

        Assert.Equal("remote", status.Node);
        Assert.Contains($"ssh {Environment.UserName}@127.0.0.1:{sshd.Port}", status.Message);
        Assert.Contains("ssh exited 255", status.Message);
        Assert.Contains("unknown, not absent", status.Message);
        Assert.Equal(status.Message, stop.Message);
    }
}
