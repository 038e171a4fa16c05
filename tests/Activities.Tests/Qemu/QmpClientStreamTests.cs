using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>QmpClient protocol logic over the stream seam, against a scripted QEMU end.</summary>
public sealed class QmpClientStreamTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    private static async Task<(FakeQmpServer Server, QmpClient Client)> ConnectAsync(CancellationToken ct, QmpClientOptions? options = null)
    {
        var server = FakeQmpServer.Create();
        return (server, await server.ConnectQmpClientAsync(ct, options));
    }

    [Fact(Timeout = 20000)]
    public async Task ConnectAsync_WhenGreetingArrives_ShouldNegotiateAndReportVersion()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;
        Assert.Equal(new Version(7, 2, 22), client.QemuVersion);
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 20000)]
    public async Task ExecuteAsync_WhenRepliesArriveOutOfOrderBetweenEvents_ShouldMatchEachReplyByIdAndDeliverEveryEvent()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;
        using var events = client.SubscribeEvents();
        using var ready = client.ExpectEvent<BlockJobReadyEvent>(e => e.Device == "job1");

        var status = client.QueryStatusAsync(cts.Token);
        var jobs = client.QueryBlockJobsAsync(cts.Token);
        var first = await server.ReadRequestAsync(cts.Token);
        var second = await server.ReadRequestAsync(cts.Token);
        var statusRequest = first["execute"]!.GetValue<string>() == "query-status" ? first : second;
        var jobsRequest = ReferenceEquals(statusRequest, first) ? second : first;

        await server.SendEventAsync("BLOCK_JOB_READY", new JsonObject { ["device"] = "job0", ["type"] = "mirror", ["len"] = 10, ["offset"] = 10, ["speed"] = 0 });
        await server.ReplyAsync(jobsRequest, new JsonArray(new JsonObject
        {
            ["device"] = "job1",
            ["type"] = "mirror",
            ["len"] = 100,
            ["offset"] = 40,
            ["speed"] = 0,
            ["busy"] = true,
            ["paused"] = false,
            ["ready"] = false,
            ["status"] = "running",
            ["io-status"] = "ok",
        }));
        await server.SendEventAsync("MIGRATION", new JsonObject { ["status"] = "pre-switchover" });
        await server.SendEventAsync("BLOCK_JOB_READY", new JsonObject { ["device"] = "job1", ["type"] = "mirror", ["len"] = 100, ["offset"] = 100, ["speed"] = 0 });
        await server.ReplyAsync(statusRequest, new JsonObject { ["running"] = true, ["status"] = "running", ["singlestep"] = false });

        var vm = await status;
        var jobList = await jobs;
        Assert.Equal(new VmStatus(true, RunState.Running), vm);
        var job = Assert.Single(jobList);
        Assert.Equal(("job1", BlockJobType.Mirror, 40L, 100L, JobStatus.Running), (job.Device, job.Type, job.Offset, job.Length, job.Status));

        var readyEvent = await ready.WaitAsync(TimeSpan.FromSeconds(5), cts.Token);
        Assert.Equal(100, readyEvent.Offset);

        var received = new List<QmpEvent>();
        await foreach (var e in events.ReadAllAsync(cts.Token))
        {
            received.Add(e);
            if (received.Count == 3) break;
        }
        Assert.IsType<BlockJobReadyEvent>(received[0]);
        Assert.Equal(MigrationStatus.PreSwitchover, Assert.IsType<MigrationEvent>(received[1]).Status);
        Assert.Equal("job1", Assert.IsType<BlockJobReadyEvent>(received[2]).Device);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(50), received[1].Timestamp);
    }

    [Fact(Timeout = 20000)]
    public async Task ExecuteAsync_WhenQemuRepliesWithError_ShouldThrowQmpExceptionWithClassDescriptionAndCommand()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;

        var mirror = client.BlockdevMirrorAsync(new BlockdevMirrorOptions("job0", "disk0", "tgt0") { Bitmap = "b0" }, cts.Token);
        var request = await server.ReadRequestAsync(cts.Token);
        Assert.Equal("b0", request["arguments"]!["bitmap"]!.GetValue<string>());
        Assert.Equal("full", request["arguments"]!["sync"]!.GetValue<string>());
        await server.ReplyErrorAsync(request, "GenericError", "Parameter 'bitmap' is unexpected");

        var ex = await Assert.ThrowsAsync<QmpException>(() => mirror);
        Assert.Equal("blockdev-mirror", ex.Command);
        Assert.Equal("GenericError", ex.ErrorClass);
        Assert.Equal("Parameter 'bitmap' is unexpected", ex.Description);
        Assert.True(client.IsConnected);
    }

    [Fact(Timeout = 20000)]
    public async Task MirrorThenDisableBitmap_ShouldSendBothBeforeAnyReply_AndThrowTheMirrorsErrorAfterBothReplies()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;

        var handOver = client.BlockdevMirrorThenDisableBitmapAsync(new BlockdevMirrorOptions("job0", "disk0", "tgt0", SyncMode.None), "disk0", "mig-vd0", cts.Token);
        // Both requests arrive without any reply sent: no round trip between the mirror's start and the bitmap's disable.
        using var noReply = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        noReply.CancelAfter(TimeSpan.FromSeconds(5));
        var mirror = await server.ReadRequestAsync(noReply.Token);
        var disable = await server.ReadRequestAsync(noReply.Token);
        Assert.Equal("blockdev-mirror", mirror["execute"]!.GetValue<string>());
        Assert.Equal("none", mirror["arguments"]!["sync"]!.GetValue<string>());
        Assert.Equal("block-dirty-bitmap-disable", disable["execute"]!.GetValue<string>());
        Assert.Equal("disk0", disable["arguments"]!["node"]!.GetValue<string>());
        Assert.Equal("mig-vd0", disable["arguments"]!["name"]!.GetValue<string>());

        await server.ReplyErrorAsync(mirror, "GenericError", "Node 'disk0' is busy");
        await Task.Delay(100, cts.Token);
        Assert.False(handOver.IsCompleted, "the call must wait for every reply, also after the first failed");
        await server.ReplyAsync(disable, new JsonObject());
        var ex = await Assert.ThrowsAsync<QmpException>(() => handOver);
        Assert.Equal("blockdev-mirror", ex.Command);
        Assert.Equal("Node 'disk0' is busy", ex.Description);
    }

    [Fact(Timeout = 20000)]
    public async Task ExecuteInOrderAsync_WhenRepliesArriveReversed_ShouldReturnEachResultInItsCommandsPlace()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;

        var both = client.ExecuteInOrderAsync([new QmpCommand("query-status"), new QmpCommand("query-name")], cancellationToken: cts.Token);
        var first = await server.ReadRequestAsync(cts.Token);
        var second = await server.ReadRequestAsync(cts.Token);
        await server.ReplyAsync(second, new JsonObject { ["name"] = "vm-1" });
        await server.ReplyAsync(first, new JsonObject { ["status"] = "running" });

        var results = await both;
        Assert.Equal("running", results[0]!["status"]!.GetValue<string>());
        Assert.Equal("vm-1", results[1]!["name"]!.GetValue<string>());
    }

    [Fact(Timeout = 20000)]
    public async Task Disconnect_WhenCommandsAndEventWaitsArePending_ShouldFailThemAll()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;
        using var waiter = client.ExpectEvent<BlockJobReadyEvent>();
        using var events = client.SubscribeEvents();

        var first = client.ExecuteAsync("query-block", cancellationToken: cts.Token);
        var second = client.ExecuteAsync("query-migrate", cancellationToken: cts.Token);
        await server.ReadRequestAsync(cts.Token);
        await server.ReadRequestAsync(cts.Token);
        server.Disconnect();

        await Assert.ThrowsAsync<QmpDisconnectedException>(() => first);
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => second);
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(5), cts.Token));
        await foreach (var e in events.ReadAllAsync(cts.Token)) Assert.Fail($"no event expected, got {e.Name}");
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<QmpDisconnectedException>(() => client.ExecuteAsync("query-status", cancellationToken: cts.Token));
    }

    [Fact(Timeout = 20000)]
    public async Task ExecuteAsync_WhenNoReplyWithinTimeout_ShouldThrowTimeoutAndStayUsable()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;

        var slow = client.ExecuteAsync("query-status", timeout: TimeSpan.FromMilliseconds(200), cancellationToken: cts.Token);
        var slowRequest = await server.ReadRequestAsync(cts.Token);
        var ex = await Assert.ThrowsAsync<QmpTimeoutException>(() => slow);
        Assert.Equal("query-status", ex.Command);

        // A late reply to the timed-out command is ignored; the next command still matches its own reply.
        await server.ReplyAsync(slowRequest, new JsonObject { ["running"] = false, ["status"] = "paused" });
        var next = client.QueryStatusAsync(cts.Token);
        var nextRequest = await server.ReadRequestAsync(cts.Token);
        await server.ReplyAsync(nextRequest, new JsonObject { ["running"] = true, ["status"] = "running" });
        Assert.Equal(RunState.Running, (await next).Status);
    }

    [Fact(Timeout = 20000)]
    public async Task ExpectEvent_WhenNoMatchingEventArrives_ShouldThrowEventTimeout()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;
        using var waiter = client.ExpectEvent<MigrationEvent>(e => e.Status == MigrationStatus.Completed, "MIGRATION completed");
        await server.SendEventAsync("MIGRATION", new JsonObject { ["status"] = "active" });

        var ex = await Assert.ThrowsAsync<QmpEventTimeoutException>(() => waiter.WaitAsync(TimeSpan.FromMilliseconds(300), cts.Token));
        Assert.Contains("MIGRATION completed", ex.Message);
    }

    [Fact(Timeout = 20000)]
    public async Task Events_WhenUnknownOrMalformedLinesArrive_ShouldKeepTheReadLoopAlive()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (server, client) = await ConnectAsync(cts.Token);
        await using var _ = server;
        await using var __ = client;
        using var events = client.SubscribeEvents();
        await server.SendAsync("this is not json");
        await server.SendEventAsync("SOMETHING_NEW", new JsonObject { ["x"] = 1 });
        await server.SendEventAsync("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" });

        var received = new List<QmpEvent>();
        await foreach (var e in events.ReadAllAsync(cts.Token))
        {
            received.Add(e);
            if (received.Count == 2) break;
        }
        Assert.Equal("SOMETHING_NEW", Assert.IsType<UnknownEvent>(received[0]).Name);
        Assert.Equal("host-qmp-quit", Assert.IsType<ShutdownEvent>(received[1]).Reason);
    }
}
