using System.Diagnostics;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>A command limit (what rollback steps use) kills the command and says what was waited for.</summary>
[Collection("process-pipes")]
public sealed class NodeExecutorTimeoutTests : IDisposable
{
    private readonly PipeProbe _probe = new();

    public void Dispose() => _probe.Dispose();

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WithACommandTimeout_ShouldKillAHungCommandAndSayWhatItWaitedFor()
    {
        var node = NodeExecutor.Local("local").WithCommandTimeout(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<NodeCommandTimeoutException>(() => node.RunAsync(_probe.Wrap("hung", "sleep", "600")));
        clock.Stop();

        Assert.Equal("local", ex.Node);
        Assert.Contains("did not finish within 1 s", ex.Message);
        Assert.Contains("sleep 600", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Empty(await _probe.WaitAllGoneAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact(Timeout = 30000)]
    public async Task RunAsync_WithACommandTimeout_ShouldRunAQuickCommandAsUsual()
    {
        var result = await NodeExecutor.Local("local").WithCommandTimeout(TimeSpan.FromSeconds(10)).RunAsync(new NodeCommand("echo", "ok"));

        Assert.Equal("ok", result.StandardOutput.Trim());
    }
}
