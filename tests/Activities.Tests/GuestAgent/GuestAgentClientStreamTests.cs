using System.Text;
using Elsa.Migration.Activities.GuestAgent;

namespace Elsa.Migration.Activities.Tests.GuestAgent;

/// <summary>Protocol logic over the client's stream seam, against a scripted agent.</summary>
public sealed class GuestAgentClientStreamTests
{
    [Fact(Timeout = 10_000)]
    public async Task Sync_WhenStaleRepliesGarbageAndTheParseErrorPrecedeTheDelimiter_ShouldSkipEverythingUpToIt()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-sync-delimited"
            ? [.. FakeAgent.Return("{}", 7), .. "half a line \x01\x02"u8, .. FakeAgent.SyncReply(r.SyncId!.Value)]
            : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        await client.SyncAsync();

        // The next reply is read from exactly after the sync reply: nothing of the skipped bytes leaks into it.
        Assert.Equal(GuestFsFreezeStatus.Thawed, await client.GetFreezeStatusAsync());
    }

    [Fact(Timeout = 10_000)]
    public async Task Sync_WhenAStaleSyncReplyComesFirst_ShouldWaitForItsOwnId()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-sync-delimited"
            ? [.. FakeAgent.SyncReply(r.SyncId!.Value + 1), .. FakeAgent.SyncReply(r.SyncId!.Value)]
            : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        await client.SyncAsync();
        await client.PingAsync();

        Assert.Equal(["guest-sync-delimited", "guest-ping"], agent.Requests.Select(r => r.Execute));
    }

    [Fact(Timeout = 10_000)]
    public async Task Sync_WhenTheReplyArrivesOneByteAtATime_ShouldReassembleIt()
    {
        await using var agent = new FakeAgent { Trickle = true };
        await using var client = agent.CreateClient();

        await client.SyncAsync();

        Assert.Equal(1, await client.FreezeAsync());
    }

    [Fact(Timeout = 10_000)]
    public async Task Sync_WhenOnlyOtherIdsComeBack_ShouldTimeOutWithAHint()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-sync-delimited" ? FakeAgent.SyncReply(r.SyncId!.Value + 1) : null;
        await using var client = agent.CreateClient(new GuestAgentClientOptions(
            TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1)));

        var error = await Assert.ThrowsAsync<GuestAgentTimeoutException>(() => client.PingAsync());

        Assert.Equal("guest-sync-delimited", error.Command);
        Assert.Contains("one client at a time", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Command_WhenTheAgentAnswersWithAnError_ShouldThrowWithItsClassAndDescription()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-fsfreeze-freeze"
            ? Encoding.UTF8.GetBytes($"{{\"error\": {{\"class\": \"GenericError\", \"desc\": \"failed to freeze /data: Device or resource busy\"}}, \"id\": {r.Id}}}\n")
            : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.FreezeAsync());

        Assert.Equal("guest-fsfreeze-freeze", error.Command);
        Assert.Equal("GenericError", error.ErrorClass);
        Assert.Equal("failed to freeze /data: Device or resource busy", error.Description);
        Assert.Contains("refused guest-fsfreeze-freeze", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Command_WhenTheReplyIsLate_ShouldTimeOutAndTheNextCommandShouldDiscardTheLateReply()
    {
        await using var agent = new FakeAgent();
        long? lateFreezeId = null;
        agent.Respond = r =>
        {
            switch (r.Execute)
            {
                case "guest-fsfreeze-freeze":
                    lateFreezeId = r.Id;
                    return null; // answered later, in front of the next sync reply
                case "guest-sync-delimited" when lateFreezeId is { } late:
                    return [.. FakeAgent.Return("1", late), .. FakeAgent.SyncReply(r.SyncId!.Value)];
                case "guest-fsfreeze-status":
                    return FakeAgent.Return("\"frozen\"", r.Id);
                default:
                    return FakeAgent.Default(r);
            }
        };
        await using var client = agent.CreateClient();
        await client.PingAsync();

        var timeout = await Assert.ThrowsAsync<GuestAgentTimeoutException>(() => client.FreezeAsync(TimeSpan.FromMilliseconds(200)));
        var status = await client.GetFreezeStatusAsync();

        Assert.Equal(TimeSpan.FromMilliseconds(200), timeout.Timeout);
        Assert.Equal(GuestFsFreezeStatus.Frozen, status);
        Assert.Equal(["guest-sync-delimited", "guest-ping", "guest-fsfreeze-freeze", "guest-sync-delimited", "guest-fsfreeze-status"],
            agent.Requests.Select(r => r.Execute));
    }

    [Fact(Timeout = 10_000)]
    public async Task Command_WhenAReplyCarriesAnotherId_ShouldSkipIt()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-fsfreeze-status"
            ? [.. FakeAgent.Return("\"frozen\"", r.Id - 1), .. FakeAgent.Return("\"thawed\"", r.Id)]
            : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        Assert.Equal(GuestFsFreezeStatus.Thawed, await client.GetFreezeStatusAsync());
    }

    [Fact(Timeout = 10_000)]
    public async Task Connection_WhenTheAgentSideCloses_ShouldFailClearlyAndReconnectOnTheNextCall()
    {
        await using var agent = new FakeAgent { CloseOn = "guest-fsfreeze-thaw" };
        var connects = 0;
        await using var client = agent.CreateClient(onConnect: () => Interlocked.Increment(ref connects));
        await client.PingAsync();

        var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.ThawAsync());
        agent.CloseOn = null;
        await client.PingAsync();

        Assert.Contains("broke during guest-fsfreeze-thaw", error.Message);
        Assert.Equal(2, connects);
        Assert.Equal(2, agent.Requests.Count(r => r.Execute == "guest-sync-delimited"));
        Assert.Equal(2, agent.Requests.Last().Connection);
    }

    [Fact(Timeout = 10_000)]
    public async Task FreezeStatus_WhenTheAgentReportsAnUnknownState_ShouldThrow()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-fsfreeze-status" ? FakeAgent.Return("\"error\"", r.Id) : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.GetFreezeStatusAsync());

        Assert.Contains("'error'", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task Info_ShouldParseVersionAndCommands()
    {
        await using var agent = new FakeAgent();
        agent.Respond = r => r.Execute == "guest-info"
            ? FakeAgent.Return("""{"version": "7.2.22", "supported_commands": [{"enabled": true, "name": "guest-ping", "success-response": true}, {"enabled": false, "name": "guest-exec", "success-response": true}]}""", r.Id)
            : FakeAgent.Default(r);
        await using var client = agent.CreateClient();

        var info = await client.GetInfoAsync();

        Assert.Equal("7.2.22", info.Version);
        Assert.True(info.Supports("guest-ping"));
        Assert.False(info.Supports("guest-exec"));
        Assert.False(info.Supports("guest-shutdown"));
    }

    [Fact(Timeout = 10_000)]
    public async Task Connect_WhenTheSocketDoesNotExist_ShouldSayWhatToCheck()
    {
        var path = Path.Combine(Path.GetTempPath(), "elsa-missing-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        await using var client = GuestAgentClient.ForUnixSocket(path);

        var error = await Assert.ThrowsAsync<GuestAgentException>(() => client.PingAsync());

        Assert.Contains(path, error.Message);
        Assert.Contains("org.qemu.guest_agent.0", error.Message);
    }
}
