using System.Diagnostics;
using System.Net.Sockets;

namespace Elsa.Migration.Engine.Tests.Persistence;

/// <summary>The test cluster of a run that was killed before its collection ended is removed by the next run's.</summary>
public sealed class PostgreSqlServerTests
{
    [Fact(Timeout = 240_000)]
    public async Task NextCluster_ShouldStopAndRemoveTheClusterOfATestRunThatIsGone()
    {
        var deadPid = await PidOfAnEndedProcessAsync();
        var left = new PostgreSqlServer(deadPid);
        await using var cleanup = new AsyncCleanup(left);
        await left.InitializeAsync(); // a running cluster as a SIGKILLed run leaves it
        Assert.True(Directory.Exists(left.Folder));
        Assert.True(await AcceptsAsync(left.Port), "the left-behind cluster should be running before the next run starts");

        var next = new PostgreSqlServer();
        await next.InitializeAsync();
        await next.DisposeAsync();

        Assert.False(Directory.Exists(left.Folder), $"the cluster of the gone run is still in {left.Folder}");
        Assert.False(await AcceptsAsync(left.Port), $"the cluster of the gone run still listens on port {left.Port}");
    }

    private static async Task<int> PidOfAnEndedProcessAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true")) ?? throw new InvalidOperationException("cannot start true");
        await process.WaitForExitAsync();
        Assert.False(Directory.Exists($"/proc/{process.Id}"), "the pid was reused at once; run the test again");
        return process.Id;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Stops the left-behind cluster if the test failed before the next run removed it.</summary>
    private sealed class AsyncCleanup(PostgreSqlServer server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Directory.Exists(server.Folder)) await server.DisposeAsync();
        }
    }
}
