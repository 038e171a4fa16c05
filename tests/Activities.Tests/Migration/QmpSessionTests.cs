using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Qemu;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The session kept between activities: an event QEMU emits after one activity ended and before the next one waits
/// must not be lost, and a mark taken before a command limits the wait to events after it. Scripted QEMU end (stream seam).
/// </summary>
public sealed class QmpSessionTests
{
    private static async Task<(FakeQmpServer Server, QmpSession Session)> ConnectAsync(CancellationToken ct)
    {
        var server = FakeQmpServer.Create();
        var stream = await server.ConnectClientAsync(ct);
        var connecting = QmpClient.ConnectAsync(stream, cancellationToken: ct);
        await server.AnswerCapabilitiesAsync(ct);
        return (server, new QmpSession("/fake/qmp.sock", await connecting));
    }

    private static JsonObject Job(string id) => new() { ["device"] = id, ["type"] = "mirror", ["len"] = 10, ["offset"] = 10, ["speed"] = 0 };

    private static async Task UntilRecordedAsync(QmpSession session, long sequence, CancellationToken ct)
    {
        while (session.LastSequence < sequence) await Task.Delay(5, ct);
    }

    [Fact(Timeout = 20000)]
    public async Task WaitForEvent_WhenTheEventArrivedBeforeTheWait_ShouldReturnIt()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var (server, session) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = session;
        var mark = session.Mark();

        await server.SendEventAsync("BLOCK_JOB_READY", Job("job1"));
        await UntilRecordedAsync(session, 1, cts.Token);
        var ready = await session.WaitForEventAsync<BlockJobReadyEvent>(session.SequenceOf(mark), e => e.Device == "job1",
            TimeSpan.FromSeconds(1), "READY job1", cts.Token);

        Assert.Equal("job1", ready.Device);
    }

    [Fact(Timeout = 20000)]
    public async Task WaitForEvent_ShouldIgnoreEventsBeforeTheMarkAndReturnTheNextMatchingOne()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var (server, session) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = session;
        await server.SendEventAsync("BLOCK_JOB_COMPLETED", Job("job1"));
        await UntilRecordedAsync(session, 1, cts.Token);
        var mark = session.LastSequence;

        await Assert.ThrowsAsync<QmpEventTimeoutException>(() => session.WaitForEventAsync<BlockJobCompletedEvent>(mark, e => e.Device == "job1",
            TimeSpan.FromMilliseconds(200), "COMPLETED job1", cts.Token));
        var waiting = session.WaitForEventAsync<BlockJobCompletedEvent>(mark, e => e.Device == "job1", TimeSpan.FromSeconds(5), "COMPLETED job1", cts.Token);
        await server.SendEventAsync("BLOCK_JOB_COMPLETED", Job("job2"));
        await server.SendEventAsync("BLOCK_JOB_COMPLETED", Job("job1"));

        Assert.Equal("job1", (await waiting).Device);
        Assert.Equal(3, session.LastSequence);
    }

    [Fact(Timeout = 20000)]
    public async Task SequenceOf_WhenTheMarkCameFromAnotherConnection_ShouldLookAtEveryRecordedEvent()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var (server, session) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = session;

        Assert.Equal(0, session.SequenceOf("0123456789abcdef:42"));
        Assert.Equal(0, session.SequenceOf(null));
        Assert.Equal(session.LastSequence, session.SequenceOf(session.Mark()));
    }

    [Fact(Timeout = 20000)]
    public async Task WaitForEvent_WhenQemuGoesAway_ShouldFailWithDisconnected()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var (server, session) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = session;
        var waiting = session.WaitForEventAsync<BlockJobReadyEvent>(0, _ => true, TimeSpan.FromSeconds(10), "READY", cts.Token);

        server.Disconnect();

        await Assert.ThrowsAsync<QmpDisconnectedException>(() => waiting);
        Assert.False(session.IsConnected);
    }
}
