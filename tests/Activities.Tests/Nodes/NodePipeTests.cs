using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>NodePipe with real local processes.</summary>
public sealed class NodePipeTests
{
    private static readonly NodeExecutor Local = NodeExecutor.Local("local");

    [Fact(Timeout = 30000)]
    public async Task RunAsync_ShouldStreamEveryByteAndCountIt()
    {
        var result = await new NodePipe().RunAsync(Local, new NodeCommand("head", "-c", "67108864", "/dev/zero"), Local, new NodeCommand("wc", "-c"));
        Assert.Equal(64L * 1024 * 1024, result.BytesTransferred);
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenConsumerFails_ShouldThrowTheConsumersError()
    {
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, new NodeCommand("cat", "/dev/zero"), Local, new NodeCommand("sh", "-c", "head -c 1000 >/dev/null; echo broken >&2; exit 3")));
        Assert.Equal(3, ex.ExitCode);
        Assert.Equal("broken", ex.StandardError);
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenProducerFails_ShouldThrowTheProducersError()
    {
        var ex = await Assert.ThrowsAsync<NodeCommandException>(() => new NodePipe().RunAsync(
            Local, new NodeCommand("cat", "/nonexistent/elsa"), Local, new NodeCommand("wc", "-c")));
        Assert.Equal("cat", ex.Command.Program);
        Assert.Contains("No such file", ex.StandardError);
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WhenCancelled_ShouldKillBothProcesses()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new NodePipe().RunAsync(
            Local, new NodeCommand("cat", "/dev/zero"), Local, new NodeCommand("sh", "-c", "cat >/dev/null"), cancellationToken: cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }
}
