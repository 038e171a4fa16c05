using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>The plan every activity reads from a workflow variable, and the state the steps write beside it: both must
/// serialise plainly and completely (they survive a host restart through the instance's variables).</summary>
public sealed class MigrationPlanTests
{
    internal static MigrationPlan SamplePlan() => Plan();

    private static MigrationPlan Plan() => new()
    {
        VmId = "vm1",
        SourceNode = "a",
        TargetNode = "b",
        Site = "main",
        SourceNodeDefinition = new NodeDefinition { Name = "a", QmpSocketDir = "/a", Storages = [new StorageDefinition { Id = "s", Layout = "directory", Mountpoint = "/a" }] },
        TargetNodeDefinition = new NodeDefinition
        {
            Name = "b",
            QmpSocketDir = "/b",
            MigrationAddress = "10.0.0.2",
            Transport = new TransportDefinition { Kind = "ssh", Host = "10.0.0.2", User = "root", IdentityFile = "/etc/elsa/id", KnownHostsFile = "/etc/elsa/kh" },
            Storages = [new StorageDefinition { Id = "s", Layout = "files", Pool = "pb", Mountpoint = "/pb" }],
        },
        SourceQmpSocket = "/a/vm1.qmp",
        TargetQmpSocket = "/b/vm1.qmp",
        TargetPidFile = "/b/vm1.pid",
        NbdSocket = "/b/vm1.nbd",
        MigrationSocket = "/b/vm1.migrate",
        TargetQemuArgs = ["-name", "vm1"],
        Disks =
        [
            new DiskPlan
            {
                DeviceId = "vd0", DriveId = "drive0", NodeName = "disk0", Kind = MigrationDiskKind.Replicated, Attached = true,
                SizeBytes = 1 << 20, SourcePath = "/a/d0", TargetPath = "/b/d0", SourceDataset = "pa/d0", TargetDataset = "pb/d0", TargetLayout = "files",
            },
        ],
    };

    [Fact]
    public void ToJson_ShouldWriteEnumsAsNamesAndLeaveDerivedNamesOut()
    {
        var json = JsonNode.Parse(Plan().ToJson())!.AsObject();
        var disk = json["disks"]![0]!.AsObject();

        Assert.Equal("Replicated", disk["kind"]!.GetValue<string>());
        Assert.False(json.ContainsKey("attachedDisks"));
        Assert.False(json.ContainsKey("nbdAddress"));
        Assert.False(disk.ContainsKey("jobId"));
    }

    [Fact]
    public void Json_ShouldCarryTheNodeDefinitionsSoLaterStepsAndRecoveryNeedNoInventory()
    {
        var plan = Plan();
        var read = JsonSerializer.Deserialize<MigrationPlan>(plan.ToJson(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal("main", read.Site);
        Assert.Equal(plan.SourceNodeDefinition with { Storages = [] }, read.SourceNodeDefinition with { Storages = [] });
        Assert.Equal(plan.TargetNodeDefinition.Transport, read.TargetNodeDefinition.Transport);
        Assert.Equal("pb", Assert.Single(read.TargetNodeDefinition.Storages).Pool);
        Assert.IsType<Elsa.Migration.Activities.Nodes.SshTransport>(read.TargetNodeDefinition.CreateTransport());
        Assert.Equal("/b/vm1.pid", read.NodeInventory().RuntimePaths("vm1", "b").PidFile);
    }

    [Fact]
    public void DerivedNames_ShouldComeFromTheDeviceIdSoRollbackFindsThemWithoutTheActivityThatMadeThem()
    {
        var disk = Plan().Disks[0];
        Assert.Equal("mig-vd0", disk.BitmapName);
        Assert.Equal("mig-tgt-vd0", disk.NbdClientNode);
        Assert.Equal("mig-job-vd0", disk.JobId);
        Assert.Equal("unix:/b/vm1.migrate", Plan().MigrationUri);
    }

    [Fact]
    public void State_ShouldRoundTripEveryStepsPartKeyedByDevice()
    {
        var plan = Plan();
        var state = new MigrationState();
        var copy = state.CopyOf(plan.Disks[0]);
        copy.Strategy = BitmapStrategy.BackupPasses;
        copy.BytesCopied = 65536;
        copy.Passes = 2;
        state.ReplicationOf(plan.Disks[0]).Snapshot = "elsa-mig-1";
        state.TargetBitmaps["vd0"] = ["mig-last-vd0", "mig-copied-vd0"];
        state.Ram = new RamMigration(DateTimeOffset.UnixEpoch, "3:abc", 4, 1200.5);
        state.Resumed = new ResumedOnTarget(DateTimeOffset.UnixEpoch, 31, 45.5);

        var json = System.Text.Json.JsonSerializer.SerializeToNode(state, new JsonSerializerOptions(JsonSerializerDefaults.Web))!.AsObject();
        Assert.Equal("BackupPasses", json["copies"]!["vd0"]!["strategy"]!.GetValue<string>());
        var read = json.Deserialize<MigrationState>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal(65536, read.CopyOf(plan.Disks[0]).BytesCopied);
        Assert.Equal(2, read.CopyOf(plan.Disks[0]).Passes);
        Assert.Equal("elsa-mig-1", read.ReplicationOf(plan.Disks[0]).Snapshot);
        Assert.Equal(["mig-last-vd0", "mig-copied-vd0"], read.TargetBitmapsOf(plan.Disks[0]));
        Assert.Equal(state.Ram, read.Ram);
        Assert.True(read.VmRunsOnTarget);
        Assert.Null(read.Freeze);
    }
}
