using Elsa.Migration.Lab.Guest;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

/// <summary>
/// A guest whose data disk cannot be used must stop loudly instead of writing to its in-memory root.
/// In the "guest-vm" collection so that its boot does not compete with the shared guest's for the two cores.
/// </summary>
[Collection("guest-vm")]
public sealed class GuestFatalBootTests
{
    [Fact(Timeout = 120_000)]
    public async Task TheGuest_WhenItMayNotFormatItsBlankDataDisk_ShouldPrintAFatalLineAndPowerOff()
    {
        await using var vm = TestGuestVm.Start(GuestImage.Locate(), new GuestKernelArgs { Format = GuestDiskFormat.Never });

        var error = await Assert.ThrowsAsync<GuestFatalException>(() => vm.Console.WaitForFirstHeartbeatAsync(TimeSpan.FromSeconds(90)));

        Assert.Contains("/dev/vda has no ext filesystem (elsa_format=never", error.Message);
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await vm.WaitForExitAsync(exit.Token); // poweroff -f: QEMU exits on its own
        Assert.DoesNotContain(vm.Console.RecentLines, l => l.StartsWith("HEARTBEAT", StringComparison.Ordinal));
    }
}
