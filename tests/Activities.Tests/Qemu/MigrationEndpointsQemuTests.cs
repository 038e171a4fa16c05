using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>The resolved endpoints work with real QEMUs: NBD client to the target's NBD server, and a RAM migration.</summary>
public sealed class MigrationEndpointsQemuTests(ITestOutputHelper output)
{
    [Theory(Timeout = 120000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResolvedEndpoints_ShouldCarryNbdAndRamMigrationBetweenTwoRealQemus(bool tcp)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        await using var fixture = TwoQemuFixture.Create();
        var src = await fixture.StartAsync("src", incoming: false, cts.Token);
        var dst = await fixture.StartAsync("dst", incoming: true, cts.Token);
        var target = fixture.Inventory.GetNode("dst") with { MigrationAddress = tcp ? "127.0.0.1" : null };
        var busy = await MigrationEndpoints.TcpPortsInUseAsync(NodeExecutor.Local("dst"), cts.Token);

        var endpoints = new MigrationEndpoints().Resolve(fixture.Inventory.GetNode("src"), target, fixture.VmId, busy);

        Assert.Equal(tcp, endpoints.IsTcp);
        if (!tcp)
        {
            var paths = fixture.Inventory.RuntimePaths(fixture.VmId, "dst");
            Assert.Equal(new UnixSocketAddress(paths.NbdSocket), endpoints.NbdServer);
            Assert.Equal("unix:" + paths.MigrationSocket, endpoints.MigrationUri);
        }
        var nbdClock = Stopwatch.StartNew();
        await dst.NbdServerStartAsync(endpoints.NbdServer, cts.Token);
        await dst.BlockExportAddNbdAsync("exp-drive0", "disk0", "drive0", cancellationToken: cts.Token);
        await src.BlockdevAddNbdAsync("tgt-drive0", endpoints.NbdServer, "drive0", cts.Token);
        nbdClock.Stop();
        Assert.Contains(await src.QueryNamedBlockNodesAsync(cts.Token), n => n.NodeName == "tgt-drive0");
        await src.BlockdevDelAsync("tgt-drive0", cts.Token);
        await dst.BlockExportDelAsync("exp-drive0", cts.Token);
        await dst.NbdServerStopAsync(cts.Token);

        await dst.MigrateSetCapabilitiesAsync([MigrationCapability.Events], cancellationToken: cts.Token);
        await src.MigrateSetCapabilitiesAsync([MigrationCapability.Events], cancellationToken: cts.Token);
        await dst.MigrateIncomingAsync(endpoints.MigrationUri, cts.Token);
        // The source reports completed once it sent everything; the target may still be loading the state.
        using var dstDone = dst.ExpectEvent<MigrationEvent>(e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed);
        var migrateClock = Stopwatch.StartNew();
        var completed = await src.WaitForEventAsync<MigrationEvent>(() => src.MigrateAsync(endpoints.MigrationUri, cts.Token),
            e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed, TimeSpan.FromSeconds(90), cts.Token);
        migrateClock.Stop();
        var info = await src.QueryMigrateAsync(cts.Token);

        Assert.Equal(MigrationStatus.Completed, completed.Status);
        Assert.Equal(RunState.Postmigrate, (await src.QueryStatusAsync(cts.Token)).Status);
        Assert.Equal(MigrationStatus.Completed, (await dstDone.WaitAsync(TimeSpan.FromSeconds(30), cts.Token)).Status);
        Assert.Equal(RunState.Paused, (await dst.QueryStatusAsync(cts.Token)).Status);
        output.WriteLine($"{(tcp ? "TCP" : "UNIX")}: {endpoints.NbdServer} / {endpoints.MigrationUri}; NBD server+export+connect {nbdClock.Elapsed.TotalMilliseconds:0} ms; " +
                         $"RAM migration {migrateClock.Elapsed.TotalMilliseconds:0} ms, downtime {info.DowntimeMs} ms");
    }
}
