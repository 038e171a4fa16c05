using System.Diagnostics;
using System.Text;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>
/// Disposing a relay (the ssh + socat process behind a QMP or guest-agent stream) closes stdin, stdout and stderr,
/// ends the process and reaps it, whether the relay exits on EOF or ignores it. Local stand-ins for the relay.
/// </summary>
[Collection("process-pipes")]
public sealed class RelayProcessStreamTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);
    private readonly PipeProbe _probe = new();
    private readonly int _pipesBefore = PipeProbe.BaselinePipeCount();

    public void Dispose() => _probe.Dispose();

    [Fact(Timeout = 30000)]
    public async Task DisposeAsync_AfterAnExchange_ShouldEndTheRelayAndCloseEveryPipe()
    {
        var relay = Start(_probe.Wrap("relay", "cat"));
        var hello = Encoding.ASCII.GetBytes("hello");
        await relay.WriteAsync(hello);
        var echoed = new byte[hello.Length];
        await relay.ReadExactlyAsync(echoed);

        await relay.DisposeAsync();

        Assert.Equal(hello, echoed);
        AssertNothingLeft();
    }

    [Fact(Timeout = 30000)]
    public async Task DisposeAsync_WhenTheRelayIgnoresEof_ShouldKillItAfterTheGracePeriod()
    {
        var relay = Start(_probe.Wrap("relay", "sleep", "600"));
        await Task.Delay(200); // let it record itself

        var clock = Stopwatch.StartNew();
        await relay.DisposeAsync();
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        AssertNothingLeft();
    }

    [Fact(Timeout = 30000)]
    public async Task Dispose_WhileAReadIsPending_ShouldEndTheReadAndTheRelay()
    {
        var relay = Start(_probe.Wrap("relay", "sleep", "600"));
        await Task.Delay(200);
        var read = relay.ReadAsync(new byte[16]).AsTask();

        relay.Dispose();

        await Assert.ThrowsAnyAsync<Exception>(() => read.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.Result == 0
            ? throw new IOException("ended with EOF") : t.Result));
        AssertNothingLeft();
    }

    private static RelayProcessStream Start(NodeCommand command) =>
        RelayProcessStream.Start(new LocalTransport().Prepare(command), "local", "/run/test.sock", Grace);

    private void AssertNothingLeft()
    {
        Assert.Empty(_probe.Alive());
        Assert.Empty(_probe.Unreaped());
        Assert.Empty(_probe.PipesHeldByUs());
        // Not equality: an earlier test's leaked pipes may be closed by the garbage collector meanwhile (the checks above are exact).
        Assert.True(PipeProbe.CountOpenPipes() <= _pipesBefore, $"{PipeProbe.CountOpenPipes() - _pipesBefore} more pipes open in this process than before the test");
    }
}
