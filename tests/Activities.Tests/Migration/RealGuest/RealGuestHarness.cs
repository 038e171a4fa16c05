using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Lab.Guest;
using Elsa.Migration.Activities.Tests.Lab;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// A two-node lab (real zfs-fuse, real QEMU under TCG) running VM "vmg1" with the real guest: drive0 (vda) is the
/// replicated disk holding the guest's ext4 and its writer, drive1 a local disk (half random data, not touched by the
/// guest). The guest is booted on the source and the replica of drive0 sent to the target (a crash-consistent full
/// send while the guest writes, as a replication job would have done earlier). One boot per harness.
/// </summary>
internal sealed class RealGuestHarness : VmLabHarness
{
    public const string VmId = "vmg1";
    public const long ReplicatedSize = 64L << 20, LocalSize = 32L << 20;
    public const int BlocksPerSecond = 20;

    private RealGuestHarness(MigrationLab lab, ITestOutputHelper output) : base(lab, VmId, output)
    {
    }

    /// <summary>Time from QEMU's start to the guest's first heartbeat on the source.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>Builds the lab, boots the guest on the source, replicates drive0 once. <paramref name="time"/> replaces the engine's clock.</summary>
    public static async Task<RealGuestHarness> CreateAsync(ITestOutputHelper output, CancellationToken ct, TimeProvider? time = null, LabOptions? labOptions = null)
    {
        TestTools.Require("qemu-system-x86_64", "zfs-fuse", "zfs", "zpool", "dd", "e2fsck");
        var image = GuestImage.Locate();
        var lab = await MigrationLab.CreateAsync(new MigrationLabOptions
        {
            Lab = labOptions ?? new LabOptions(),
            ActivityAssemblies = [typeof(CorruptTargetDisk).Assembly], // test-only fault activities
            ProgressJournalInterval = TimeSpan.FromMilliseconds(500),
            Time = time,
        }, ct);
        var harness = new RealGuestHarness(lab, output);
        return await SetUpAsync(harness, () => harness.SetUpVmAsync(image, ct));
    }

    private async Task SetUpVmAsync(GuestImage image, CancellationToken ct)
    {
        var vm = Lab.DefineGuestVm(VmId, image, new GuestVmOptions
        {
            Disks = [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)],
            DataDiskIndex = 0,
            BlocksPerSecond = BlocksPerSecond,
            RegionBlocks = 128,
        });
        await Lab.AddVmAsync(vm, ct);
        await Lab.CreateDisksAsync(VmId, Source, ct);
        await DiskContent.FillRandomAsync(SourceDisk(1).Path, 0, LocalSize / 2, ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await MigrationLab.StartVmAsync(VmId, ct);
        var first = await Lab.WaitForGuestBootAsync(VmId, Source, TimeSpan.FromSeconds(120), ct);
        BootTime = watch.Elapsed;
        Output.WriteLine($"guest booted on {Source} in {BootTime.TotalSeconds:0.0} s (first heartbeat seq={first.Sequence} uptime={first.UptimeSeconds})");
        // The site's earlier replication of drive0.
        await MigrationLab.ReplicateAsync(VmId, 0, ct);
    }

    /// <summary>The guest's console on a node.</summary>
    public GuestConsole Console(string node) => Lab.GuestConsole(VmId, node);

    /// <summary>
    /// The shipped live-migrate-freeze-verify.json (Agent freeze, VerifyDisks Full between CompleteMirror and ResumeTarget),
    /// or live-migrate-freeze.json with FreezeGuest switched to Agent mode.
    /// </summary>
    public static string FreezeWorkflow(bool verify) => verify
        ? MigrationHarness.WorkflowJson("live-migrate-freeze-verify.json")
        : MigrationHarness.WorkflowJson("live-migrate-freeze.json", w => MigrationHarness.SetInput(w, "freezeGuest", "mode", "String", "Agent"));
}
