using System.Diagnostics;
using Elsa.Migration.Lab.Guest;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

/// <summary>One booted guest shared by every test of the "guest-vm" collection (boots cost 5-15 s under TCG).</summary>
public sealed class GuestVmFixture : IAsyncLifetime
{
    /// <summary>Writer rate of the shared guest: slow enough for TCG, fast enough to see it move each second.</summary>
    public const int BlocksPerSecond = 20;

    /// <summary>Region the shared guest's writer cycles over (8 MiB).</summary>
    public const int RegionBlocks = 128;

    private TestGuestVm? _vm;

    internal TestGuestVm Vm => _vm ?? throw new InvalidOperationException("the guest VM fixture did not start");

    public GuestHeartbeat FirstHeartbeat { get; private set; } = null!;

    /// <summary>The serial lines up to the first heartbeat (boot messages).</summary>
    public IReadOnlyList<string> BootLines { get; private set; } = [];

    /// <summary>From QEMU's start to the first heartbeat line.</summary>
    public TimeSpan BootTime { get; private set; }

    public async Task InitializeAsync()
    {
        var image = GuestImage.Locate();
        var watch = Stopwatch.StartNew();
        _vm = TestGuestVm.Start(image, new GuestKernelArgs { BlocksPerSecond = BlocksPerSecond, RegionBlocks = RegionBlocks });
        // 5-15 s measured under TCG; generous because other test runs share the two cores.
        FirstHeartbeat = await _vm.WaitForBootAsync(TimeSpan.FromSeconds(90));
        BootTime = watch.Elapsed;
        BootLines = _vm.Console.RecentLines;
    }

    public async Task DisposeAsync()
    {
        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }
    }
}

[CollectionDefinition("guest-vm")]
public sealed class GuestVmCollection : ICollectionFixture<GuestVmFixture>;
