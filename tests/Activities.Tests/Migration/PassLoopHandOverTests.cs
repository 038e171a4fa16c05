using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Qemu;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// The order of QMP commands a <see cref="PassLoop"/> sends around its hand-over, against a scripted QEMU end (the pure
/// sequencing; BoundedSwitchoverTests and the benchmark run it on real QEMU). The final pass holds everything written from
/// the last pass's start to the hand-over, so nothing may sit between a pass's end and the hand-over's first command.
/// </summary>
public sealed class PassLoopHandOverTests
{
    private static readonly DiskPlan Disk = new()
    {
        DeviceId = "vd0", DriveId = "drive0", NodeName = "disk0", Kind = MigrationDiskKind.Replicated, Attached = true, SizeBytes = 1 << 20,
        SourcePath = "/dev/zvol/src/vm-1-disk-0", TargetPath = "/dev/zvol/dst/vm-1-disk-0", TargetLayout = "zvol",
    };

    [Fact(Timeout = 20000)]
    public async Task HandOver_AskedWhileTheLoopLooksAtADirtyBitmap_ShouldRunOneMorePassAndHandOverTheMomentItEnds()
    {
        await using var run = await ScriptedLoop.StartAsync();
        var look = await run.ExpectAsync("query-named-block-nodes");
        var handOver = run.AskHandOver();
        await run.ReplyLookAsync(look, dirty: 131072);

        await run.CompletePassAsync(131072);

        // Right after the pass: the hand-over, no look at the bitmap in between.
        await run.ExpectHandOverAsync(handOver);
        var pass = Assert.Single(run.Loop.Passes);
        Assert.Equal(131072, pass.BytesCopied);
    }

    [Fact(Timeout = 20000)]
    public async Task HandOver_AskedWhileTheLoopLooksAtAnEmptyBitmap_ShouldHandOverWithoutAPass()
    {
        await using var run = await ScriptedLoop.StartAsync();
        var look = await run.ExpectAsync("query-named-block-nodes");
        var handOver = run.AskHandOver();
        await run.ReplyLookAsync(look, dirty: 0);

        await run.ExpectHandOverAsync(handOver);
        Assert.Empty(run.Loop.Passes);
    }

    [Fact(Timeout = 20000)]
    public async Task HandOver_AskedWhileTheLoopLooksAtMoreThanItsLastPassCopied_ShouldHandOverWithoutAnotherPass()
    {
        await using var run = await ScriptedLoop.StartAsync();
        await run.ReplyLookAsync(await run.ExpectAsync("query-named-block-nodes"), dirty: 65536);
        await run.CompletePassAsync(65536);

        // The copy falls behind: more is dirty than the last pass had to copy. Another pass would only grow the final pass.
        var look = await run.ExpectAsync("query-named-block-nodes");
        var handOver = run.AskHandOver();
        await run.ReplyLookAsync(look, dirty: 196608);

        await run.ExpectHandOverAsync(handOver);
        Assert.Single(run.Loop.Passes);
    }

    /// <summary>A started loop on a QMP session whose QEMU end the test scripts; the hand-over sends a marker command.</summary>
    private sealed class ScriptedLoop : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));
        private FakeQmpServer _server = null!;
        private QmpSession _session = null!;

        public PassLoop Loop { get; private set; } = null!;

        public static async Task<ScriptedLoop> StartAsync()
        {
            var run = new ScriptedLoop();
            run._server = FakeQmpServer.Create();
            var client = await run._server.ConnectQmpClientAsync(run._timeout.Token);
            run._session = new QmpSession("fake:qmp.sock", client);
            run.Loop = new PassLoop(run._session, Disk, speed: null, TimeSpan.FromSeconds(10));
            run.Loop.Start();
            return run;
        }

        public Task AskHandOver() => Loop.HandOverAsync(ct => _session.Client.ExecuteAsync("hand-over-marker", cancellationToken: ct));

        public async Task<JsonObject> ExpectAsync(string command)
        {
            var request = await _server.ReadRequestAsync(_timeout.Token);
            Assert.Equal(command, request["execute"]!.GetValue<string>());
            return request;
        }

        public Task ReplyLookAsync(JsonObject look, long dirty) => _server.ReplyAsync(look, new JsonArray(new JsonObject
        {
            ["node-name"] = Disk.NodeName, ["drv"] = "raw", ["file"] = Disk.SourcePath,
            ["image"] = new JsonObject { ["virtual-size"] = Disk.SizeBytes },
            ["dirty-bitmaps"] = new JsonArray(new JsonObject
            {
                ["name"] = Disk.BitmapName, ["count"] = dirty, ["granularity"] = 65536, ["recording"] = true, ["busy"] = false, ["persistent"] = false,
            }),
        }));

        public async Task CompletePassAsync(long bytes)
        {
            var backup = await ExpectAsync("blockdev-backup");
            Assert.Equal("bitmap", backup["arguments"]!["sync"]!.GetValue<string>());
            await _server.ReplyAsync(backup, new JsonObject());
            await _server.SendEventAsync("BLOCK_JOB_COMPLETED", new JsonObject
            {
                ["device"] = Disk.JobId, ["type"] = "backup", ["len"] = bytes, ["offset"] = bytes, ["speed"] = 0,
            });
        }

        /// <summary>The next command is the hand-over's: answered, and the hand-over ends.</summary>
        public async Task ExpectHandOverAsync(Task handOver)
        {
            await _server.ReplyAsync(await ExpectAsync("hand-over-marker"), new JsonObject());
            await handOver.WaitAsync(_timeout.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await Loop.AbortAsync();
            await _session.Client.DisposeAsync();
            await _server.DisposeAsync();
            _timeout.Dispose();
        }
    }
}
