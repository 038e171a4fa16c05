using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>
/// NodePipe with real local processes. Every run must end with both processes reaped, nothing they started alive,
/// and none of their pipes open in this process (a pipe end left open blocked a <c>zfs send</c> for minutes).
/// </summary>
[Collection("process-pipes")]
public sealed class NodePipeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly NodeExecutor Local = NodeExecutor.Local("local");
    private readonly PipeProbe _probe = new();
    private readonly int _pipesBefore = PipeProbe.BaselinePipeCount();

    public void Dispose() => _probe.Dispose();

    [Fact(Timeout = 30000)]
    public async Task RunAsync_ShouldStreamEveryByteAndCountIt()
    {
        var result = await new NodePipe().RunAsync(Local, _probe.Wrap("producer", "head", "-c", "67108864", "/dev/zero"), Local, _probe.Wrap("consumer", "wc", "-c"));

        Assert.Equal(64L * 1024 * 1024, result.BytesTransferred);
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerFails_ShouldThrowTheConsumersError()
    {
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, _probe.Wrap("producer", "cat", "/dev/zero"), Local, _probe.Wrap("consumer", "sh", "-c", "head -c 1000 >/dev/null; echo broken >&2; exit 3")));

        Assert.Equal(3, ex.ExitCode);
        Assert.Equal("broken", ex.StandardError);
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerExitsEarlyWhileTheProducerWritesForever_ShouldReturnPromptly()
    {
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, _probe.Wrap("producer", "cat", "/dev/zero"), Local, _probe.Wrap("consumer", "head", "-c", "1000")));
        clock.Stop();

        output.WriteLine($"returned after {clock.ElapsedMilliseconds} ms: {ex.Message}");
        Assert.Contains("stopped reading", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerFailsWhileTheProducerIsSilent_ShouldNotWaitForTheProducer()
    {
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, _probe.Wrap("producer", "sleep", "600"), Local, _probe.Wrap("consumer", "sh", "-c", "sleep 0.3; echo 'out of space' >&2; exit 4")));
        clock.Stop();

        Assert.Equal(4, ex.ExitCode);
        Assert.Equal("out of space", ex.StandardError);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        await AssertNothingLeftAsync();
    }

    /// <summary>
    /// What zfs-fuse does: the <c>zfs send</c> client hands its stdout to the daemon, which writes the stream. Killing the
    /// producer does not stop such a writer; only closing our read end does (it gets EPIPE instead of blocking).
    /// </summary>
    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerFailsAndAnotherProcessWritesTheProducersStream_ShouldCloseTheReadEndSoTheWriterEnds()
    {
        var writer = _probe.PathOf("writer.pid");
        // The writer is orphaned (not in the producer's process tree, like the daemon); the producer waits like the zfs client.
        var producer = _probe.Wrap("producer", "sh", "-c", "(cat /dev/zero & echo $! > \"$0\"); exec sleep 600", writer);

        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, producer, Local, _probe.Wrap("consumer", "sh", "-c", "head -c 100000 >/dev/null; exit 5")));

        Assert.Equal(5, ex.ExitCode);
        Assert.True(File.Exists(writer), "the background writer never started");
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenProducerFails_ShouldThrowTheProducersError()
    {
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, _probe.Wrap("producer", "sh", "-c", "head -c 3000000 /dev/zero; echo 'No such file' >&2; exit 6"), Local, _probe.Wrap("consumer", "wc", "-c")));

        Assert.Equal("sh", ex.Command.Program);
        Assert.Equal(6, ex.ExitCode);
        Assert.Contains("No such file", ex.StandardError);
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenCancelledMidStream_ShouldKillBothProcessesAndCloseEveryPipe()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        long copied = 0;
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new NodePipe().RunAsync(
            Local, _probe.Wrap("producer", "cat", "/dev/zero"), Local, _probe.Wrap("consumer", "sh", "-c", "cat >/dev/null"),
            new Progress<long>(b => Interlocked.Exchange(ref copied, b)), cts.Token));
        clock.Stop();

        output.WriteLine($"cancelled after {Interlocked.Read(ref copied)} bytes; returned after {clock.ElapsedMilliseconds} ms");
        Assert.True(Interlocked.Read(ref copied) > 0, "the stream never started: nothing was cancelled mid-stream");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerDoesNotExitAfterTheStreamEnded_ShouldGiveUpAfterTheExitTimeoutSayingWhatItWaitedFor()
    {
        var pipe = new NodePipe { ExitTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<NodeCommandTimeoutException>(() => pipe.RunAsync(
            Local, _probe.Wrap("producer", "head", "-c", "1000", "/dev/zero"), Local, _probe.Wrap("consumer", "sh", "-c", "cat >/dev/null; exec sleep 600")));
        clock.Stop();

        output.WriteLine(ex.Message);
        Assert.Equal("sh", ex.Command.Program);
        Assert.Contains("the consumer to finish after the end of its input stream", ex.Message);
        Assert.Contains("within 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await AssertNothingLeftAsync();
    }

    /// <summary>Both processes reaped, anything they started gone, none of their pipes open here, and no more pipes open than before.</summary>
    private async Task AssertNothingLeftAsync()
    {
        Assert.Empty(await _probe.WaitAllGoneAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(_probe.Unreaped());
        Assert.Empty(_probe.PipesHeldByUs());
        // Not equality: an earlier test's leaked pipes may be closed by the garbage collector meanwhile (the checks above are exact).
        Assert.True(PipeProbe.CountOpenPipes() <= _pipesBefore, $"{PipeProbe.CountOpenPipes() - _pipesBefore} more pipes open in this process than before the test");
    }
}
