using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Verification;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>Pure logic of Sampled verification: nbdinfo's map, regions of extents, the seeded random sample.</summary>
public sealed class TargetBitmapMapTests
{
    // Printed by nbdinfo 1.14 (libnbd-bin, Debian 12) for a QEMU 7.2 export with bitmaps:["mig-last-vd0"].
    private const string NbdInfoJson = """
        [
        { "offset": 0, "length": 5242880, "type": 0, "description": "clean"},
        { "offset": 5242880, "length": 131072, "type": 1, "description": "dirty"},
        { "offset": 5373952, "length": 36569088, "type": 0, "description": "clean"},
        { "offset": 41943040, "length": 65536, "type": 1, "description": "dirty"},
        { "offset": 42008576, "length": 25100288, "type": 0, "description": "clean"}
        ]
        """;

    [Fact]
    public void ParseDirty_ShouldKeepOnlyTheDirtyExtents() =>
        Assert.Equal([(5242880L, 131072L), (41943040L, 65536L)], TargetBitmapMap.ParseDirty(NbdInfoJson));

    [Fact]
    public void ParseDirty_OfSomethingElse_ShouldFailSayingWhat() =>
        Assert.Contains("no JSON array", Assert.Throws<FormatException>(() => TargetBitmapMap.ParseDirty("""{"x":1}""")).Message);

    [Fact]
    public void RegionsOf_ShouldTakeEveryRegionAnExtentTouchesAndStayInsideTheDisk()
    {
        const long mib = 1L << 20;
        var regions = DiskComparer.RegionsOf([(mib - 512, 1024), (5 * mib, mib), (9 * mib + 1, 10 * mib)], 10 * mib, mib);
        Assert.Equal([0L, 1, 5, 9], regions);
    }

    [Fact]
    public void RandomRegions_WithTheSameSeed_ShouldPickTheSameRegionsWhateverElseIsIncluded()
    {
        var alone = DiskComparer.RandomRegions(64, 4, new Random(7));
        var withOthers = DiskComparer.SampledRuns(64L << 20, 1L << 20, 4, [10, 11, 12], new Random(7))
            .SelectMany(r => Enumerable.Range(0, (int)r.Count).Select(i => r.First + i)).ToHashSet();
        Assert.Equal(4, alone.Count);
        Assert.Superset(alone.ToHashSet(), withOthers);
        Assert.Equal(alone.Count + 3 - alone.Count(r => r is 10 or 11 or 12), withOthers.Count);
    }

    [Fact]
    public void Uri_ShouldNameTheExportOnTheUnixSocketOrTheTcpHost()
    {
        var plan = MigrationPlanTests.SamplePlan();
        Assert.Equal($"nbd+unix:///mig-verify-vd0?socket={plan.NbdSocket}", TargetBitmapMap.Uri(plan, "mig-verify-vd0"));
        Assert.Throws<ArgumentException>(() => TargetBitmapMap.Uri(plan, "x?y"));
        var tcp = new MigrationPlan
        {
            VmId = plan.VmId,
            SourceNode = plan.SourceNode,
            TargetNode = plan.TargetNode,
            Site = plan.Site,
            SourceNodeDefinition = plan.SourceNodeDefinition,
            TargetNodeDefinition = plan.TargetNodeDefinition,
            SourceQmpSocket = plan.SourceQmpSocket,
            TargetQmpSocket = plan.TargetQmpSocket,
            TargetPidFile = plan.TargetPidFile,
            NbdSocket = plan.NbdSocket,
            MigrationSocket = plan.MigrationSocket,
            TargetQemuArgs = plan.TargetQemuArgs,
            Disks = plan.Disks,
            TargetTcpHost = "10.0.0.2",
            NbdTcpPort = 60010,
            MigrationTcpPort = 60011,
        };
        Assert.Equal("nbd://10.0.0.2:60010/mig-verify-vd0", TargetBitmapMap.Uri(tcp, "mig-verify-vd0"));
    }
}
