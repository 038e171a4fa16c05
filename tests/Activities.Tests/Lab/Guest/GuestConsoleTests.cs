using Elsa.Migration.Lab.Guest;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

/// <summary>Following a serial log file that another writer appends to (real files, no QEMU).</summary>
public sealed class GuestConsoleTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-console-" + Guid.NewGuid().ToString("N")[..10]);

    public GuestConsoleTests() => Directory.CreateDirectory(_directory);

    private string Log => Path.Combine(_directory, "serial.log");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact(Timeout = 10_000)]
    public async Task ReadLatest_ShouldTakeCompleteLinesOnlyAndToleratePrefixesAndCarriageReturns()
    {
        var console = new GuestConsole(Log);
        Assert.Null(console.ReadLatest()); // QEMU has not created the file yet

        await File.AppendAllTextAsync(Log, "ELSA-BOOT kernel=6.1\r\nHEARTBEAT seq=0 uptime=7.31\r\n[   9.1] ext4 msg HEARTBEAT seq=40 uptime=8.33\r\nHEARTBEAT seq=6");
        var latest = console.ReadLatest()!;
        Assert.Equal(40, latest.Sequence);
        Assert.Equal(8.33, latest.UptimeSeconds);
        Assert.Equal(2, latest.Number);

        await File.AppendAllTextAsync(Log, "0 uptime=9.35\r\n");
        latest = console.ReadLatest()!;
        Assert.Equal(60, latest.Sequence);
        Assert.Equal(3, latest.Number);
    }

    [Fact(Timeout = 10_000)]
    public async Task WaitForSequenceAbove_ShouldCompleteWhenTheWriterGetsThere()
    {
        var console = new GuestConsole(Log, interval: TimeSpan.FromMilliseconds(20));
        await File.WriteAllTextAsync(Log, "HEARTBEAT seq=5 uptime=1.0\n");
        var wait = console.WaitForSequenceAboveAsync(10, TimeSpan.FromSeconds(5));

        await Task.Delay(200);
        Assert.False(wait.IsCompleted);
        await File.AppendAllTextAsync(Log, "HEARTBEAT seq=10 uptime=2.0\nHEARTBEAT seq=11 uptime=3.0\n");

        Assert.Equal(11, (await wait).Sequence);
    }

    [Fact(Timeout = 10_000)]
    public async Task WaitForFirstHeartbeat_WhenTheGuestPrintsAFatalLine_ShouldThrowWithItsReason()
    {
        var console = new GuestConsole(Log, interval: TimeSpan.FromMilliseconds(20));
        await File.WriteAllTextAsync(Log, "ELSA-BOOT kernel=6.1\nELSA-FATAL mount of /dev/vda on /data failed\n");

        var error = await Assert.ThrowsAsync<GuestFatalException>(() => console.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(5)));

        Assert.Contains("mount of /dev/vda on /data failed", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task WaitForFirstHeartbeat_WhenNoneComes_ShouldTimeOutShowingTheLastLines()
    {
        var console = new GuestConsole(Log, interval: TimeSpan.FromMilliseconds(20));
        await File.WriteAllTextAsync(Log, "ELSA-BOOT kernel=6.1\nELSA-QGA started port=vport1p1\n");

        var error = await Assert.ThrowsAsync<TimeoutException>(() => console.WaitForFirstHeartbeatAsync(TimeSpan.FromMilliseconds(300)));

        Assert.Contains("ELSA-QGA started", error.Message);
        Assert.Contains("no heartbeat", error.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task ReadLatest_WhenANewQemuRestartsTheLog_ShouldFollowTheNewFile()
    {
        var console = new GuestConsole(Log);
        await File.WriteAllTextAsync(Log, "HEARTBEAT seq=900 uptime=100.0\nHEARTBEAT seq=920 uptime=101.0\n");
        Assert.Equal(920, console.ReadLatest()!.Sequence);

        await File.WriteAllTextAsync(Log, "HEARTBEAT seq=3 uptime=7.0\n");

        Assert.Equal(3, console.ReadLatest()!.Sequence);
    }

    [Fact(Timeout = 10_000)]
    public async Task WaitForLine_ShouldOnlyMatchLinesPrintedAfterTheCall()
    {
        var console = new GuestConsole(Log, interval: TimeSpan.FromMilliseconds(20));
        await File.WriteAllTextAsync(Log, "ELSA-QGA exited rc=0 restarting\n");
        var wait = console.WaitForLineAsync(l => l.StartsWith("ELSA-QGA exited", StringComparison.Ordinal), "an agent exit", TimeSpan.FromSeconds(5));

        await Task.Delay(200);
        Assert.False(wait.IsCompleted);
        await File.AppendAllTextAsync(Log, "HEARTBEAT seq=1 uptime=1.0\nELSA-QGA exited rc=143 restarting\n");

        Assert.Equal("ELSA-QGA exited rc=143 restarting", await wait);
    }
}
