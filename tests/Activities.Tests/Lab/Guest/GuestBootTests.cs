using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

/// <summary>The real guest under TCG: it boots, mounts its data disk and writes numbered blocks to it.</summary>
[Collection("guest-vm")]
public sealed class GuestBootTests(GuestVmFixture fixture, ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task TheGuestBootsUnderTcgAndItsHeartbeatSequenceRises()
    {
        output.WriteLine($"boot (QEMU start to first heartbeat): {fixture.BootTime.TotalSeconds:0.0} s");
        var console = fixture.Vm.Console;
        var before = console.ReadLatest()!;

        var later = await console.WaitForSequenceAboveAsync(before.Sequence + GuestVmFixture.BlocksPerSecond * 2, TimeSpan.FromSeconds(30));

        Assert.True(later.UptimeSeconds > before.UptimeSeconds, $"uptime {later.UptimeSeconds} should pass {before.UptimeSeconds}");
        // The rate knob holds: no more blocks than elsa_rate allows in the guest time that passed (one second of slack).
        var allowed = GuestVmFixture.BlocksPerSecond * (later.UptimeSeconds - before.UptimeSeconds + 1);
        Assert.True(later.Sequence - before.Sequence <= allowed,
            $"{later.Sequence - before.Sequence} blocks in {later.UptimeSeconds - before.UptimeSeconds:0.00} s exceeds elsa_rate={GuestVmFixture.BlocksPerSecond}");
        Assert.Contains(fixture.BootLines, l => l.Contains("ELSA-MOUNTED /dev/vda /data", StringComparison.Ordinal));
        Assert.Null(console.FatalReason);
    }

    [Fact(Timeout = 60_000)]
    public async Task TheWriterBlocksLandOnTheDataDiskFileWithTheirSequenceNumbers()
    {
        var console = fixture.Vm.Console;
        var beat = await console.WaitForSequenceAboveAsync(GuestVmFixture.BlocksPerSecond, TimeSpan.FromSeconds(30));

        // cache=none and fsync: a block the guest counted is in the raw file the host sees.
        var bytes = await File.ReadAllBytesAsync(fixture.Vm.DataDisk);
        var text = Encoding.Latin1.GetString(bytes);
        var blocks = Regex.Matches(text, @"ELSA-BLOCK seq=(\d{20}) slot=(\d{10})\n")
            .Select(m => (Sequence: long.Parse(m.Groups[1].Value), Slot: long.Parse(m.Groups[2].Value))).ToList();
        var sequences = blocks.Select(b => b.Sequence).ToList();

        Assert.NotEmpty(sequences);
        // The region knob holds: the writer cycles over elsa_region_blocks slots, slot = (seq - 1) mod region.
        Assert.All(blocks, b => Assert.Equal((b.Sequence - 1) % GuestVmFixture.RegionBlocks, b.Slot));
        Assert.True(sequences.Max() >= beat.Sequence, $"disk holds up to seq {sequences.Max()}, the guest reported {beat.Sequence}");
    }
}
