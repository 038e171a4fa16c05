using System.Diagnostics;
using Elsa.Migration.Activities.GuestAgent;
using Elsa.Migration.Activities.Tests.Lab.Guest;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.GuestAgent;

/// <summary>GuestAgentClient against the real qemu-ga of the lab guest (shared booted VM, tests run one at a time).</summary>
[Collection("guest-vm")]
public sealed class GuestAgentRealGuestTests(GuestVmFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task SyncPingAndInfo_AgainstTheRealAgent_ShouldAnswer()
    {
        await using var client = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket);

        await client.SyncAsync();
        await client.PingAsync();
        var info = await client.GetInfoAsync();

        Assert.StartsWith("7.", info.Version);
        Assert.True(info.Supports("guest-fsfreeze-freeze"));
        Assert.True(info.Supports("guest-fsfreeze-thaw"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Freeze_ShouldStopTheWriterUntilThaw()
    {
        var console = fixture.Vm.Console;
        await using var client = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket);
        await client.SyncAsync();
        Assert.Equal(GuestFsFreezeStatus.Thawed, await client.GetFreezeStatusAsync());
        await console.WaitForNewHeartbeatsAsync(1, Wait);

        var watch = Stopwatch.StartNew();
        var frozen = await client.FreezeAsync();
        var freezeTime = watch.Elapsed;
        try
        {
            Assert.True(frozen >= 1, $"froze {frozen} filesystems");
            Assert.Equal(GuestFsFreezeStatus.Frozen, await client.GetFreezeStatusAsync());
            // The heartbeat printed right after the freeze may still publish the block whose fsync had returned.
            var first = await console.WaitForNewHeartbeatsAsync(2, Wait);
            var last = await console.WaitForNewHeartbeatsAsync(2, Wait);
            output.WriteLine($"frozen: seq {first.Sequence} at uptime {first.UptimeSeconds}, {last.Sequence} at {last.UptimeSeconds}");
            Assert.Equal(first.Sequence, last.Sequence);
            Assert.True(last.UptimeSeconds - first.UptimeSeconds >= 1.5, "sampled over ~2 s of guest time");
        }
        finally
        {
            watch.Restart();
            await client.ThawAsync();
            output.WriteLine($"freeze {freezeTime.TotalMilliseconds:0} ms, thaw {watch.Elapsed.TotalMilliseconds:0} ms");
        }

        Assert.Equal(GuestFsFreezeStatus.Thawed, await client.GetFreezeStatusAsync());
        var stood = console.ReadLatest()!.Sequence;
        await console.WaitForSequenceAboveAsync(stood + 5, Wait);
    }

    [Fact(Timeout = 90_000)]
    public async Task CommandsOtherThanPingStatusAndThaw_WhileFrozen_ShouldFailWithTheAgentsError()
    {
        await using var client = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket);
        await client.FreezeAsync();
        try
        {
            await client.PingAsync();
            var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.FreezeAsync());

            output.WriteLine($"{error.ErrorClass}: {error.Description}");
            Assert.Equal("guest-fsfreeze-freeze", error.Command);
            Assert.False(string.IsNullOrEmpty(error.ErrorClass));
            Assert.Contains("frozen", error.Description);
        }
        finally
        {
            await client.ThawAsync();
        }
    }

    [Fact(Timeout = 90_000)]
    public async Task Freeze_WhenTheVcpusAreStopped_ShouldTimeOutAndTheClientShouldRecoverAfterCont()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        await using var client = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket);
        await client.SyncAsync(cts.Token);
        await fixture.Vm.QmpAsync("stop", cts.Token);
        var resumed = false;
        try
        {
            var watch = Stopwatch.StartNew();
            var timeout = await Assert.ThrowsAsync<GuestAgentTimeoutException>(
                () => client.FreezeAsync(TimeSpan.FromSeconds(1), cts.Token));
            output.WriteLine($"timed out after {watch.Elapsed.TotalMilliseconds:0} ms: {timeout.Message}");
            Assert.Equal("guest-fsfreeze-freeze", timeout.Command);
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));

            await fixture.Vm.QmpAsync("cont", cts.Token);
            resumed = true;

            // The queued freeze ran once the vCPUs resumed; the resync discards its late reply.
            Assert.Equal(GuestFsFreezeStatus.Frozen, await client.GetFreezeStatusAsync(cancellationToken: cts.Token));
        }
        finally
        {
            if (!resumed)
            {
                await fixture.Vm.QmpAsync("cont", cts.Token);
            }

            await client.ThawAsync(cancellationToken: cts.Token);
        }

        Assert.Equal(GuestFsFreezeStatus.Thawed, await client.GetFreezeStatusAsync(cancellationToken: cts.Token));
        var seq = fixture.Vm.Console.ReadLatest()!.Sequence;
        await fixture.Vm.Console.WaitForSequenceAboveAsync(seq + 5, Wait, cts.Token);
    }

    [Fact(Timeout = 90_000)]
    public async Task TheClient_WhenQemuGaRestartsInTheGuest_ShouldRecoverByResyncing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(80));
        await using var client = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket,
            new GuestAgentClientOptions(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)));
        Assert.True((await client.GetInfoAsync(cancellationToken: cts.Token)).Supports("guest-exec"), "the agent must allow guest-exec");
        await client.DisposeAsync();

        // The agent kills itself; the guest's init restarts it a second later.
        var exited = fixture.Vm.Console.WaitForLineAsync(l => l.StartsWith("ELSA-QGA exited", StringComparison.Ordinal),
            "the agent's exit", Wait, cts.Token);
        await RawAgent.ExecuteAsync(fixture.Vm.AgentSocket,
            """{"execute": "guest-exec", "arguments": {"path": "/bin/sh", "arg": ["-c", "killall qemu-ga"]}}""",
            cts.Token);
        await exited;
        await using var next = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket,
            new GuestAgentClientOptions(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)));
        var attempts = 0;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            attempts++;
            try
            {
                await next.PingAsync(cancellationToken: cts.Token);
                break;
            }
            catch (GuestAgentTimeoutException) when (watch.Elapsed < TimeSpan.FromSeconds(40))
            {
                // The agent is down or starting: the client resyncs on the next attempt.
            }
        }

        output.WriteLine($"agent answered {watch.Elapsed.TotalMilliseconds:0} ms after its exit was seen, {attempts} attempt(s)");
        Assert.Equal(GuestFsFreezeStatus.Thawed, await next.GetFreezeStatusAsync(cancellationToken: cts.Token));
    }

    [Fact(Timeout = 60_000)]
    public async Task ASecondClient_AfterTheFirstDisconnected_ShouldSyncOnTheSameSocket()
    {
        await using (var first = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket))
        {
            await first.PingAsync();
        }

        await using var second = GuestAgentClient.ForUnixSocket(fixture.Vm.AgentSocket);
        await second.PingAsync();
        Assert.Equal(GuestFsFreezeStatus.Thawed, await second.GetFreezeStatusAsync());
    }
}
