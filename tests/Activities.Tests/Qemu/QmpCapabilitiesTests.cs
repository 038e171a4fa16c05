using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Qemu;

public sealed class QmpCapabilitiesTests
{
    private static JsonArray Schema(params string[] mirrorMembers) => (JsonArray)JsonNode.Parse($$"""
        [
          {"name": "blockdev-mirror", "meta-type": "command", "arg-type": "101", "ret-type": "1"},
          {"name": "blockdev-backup", "meta-type": "command", "arg-type": "102", "ret-type": "1"},
          {"name": "BLOCK_JOB_READY", "meta-type": "event", "arg-type": "103"},
          {"name": "101", "meta-type": "object", "members": [{{string.Join(",", mirrorMembers.Select(m => $"{{\"name\": \"{m}\", \"type\": \"str\"}}"))}}]},
          {"name": "102", "meta-type": "object", "members": [{"name": "job-id", "type": "str"}, {"name": "bitmap", "type": "str"}]}
        ]
        """)!;

    [Fact]
    public void FromSchema_WhenMirrorHasBitmapMember_ShouldReportNativeBitmapMirror()
    {
        var caps = QmpCapabilities.FromSchema(Schema("job-id", "device", "target", "sync", "bitmap", "bitmap-mode"), new Version(8, 1, 5));
        Assert.True(caps.NativeBitmapMirror);
        Assert.True(caps.BlockdevMirrorSupportsBitmap);
        Assert.False(caps.DriveMirrorSupportsBitmap);
        Assert.True(caps.HasCommand("blockdev-backup"));
        Assert.Contains("BLOCK_JOB_READY", caps.Events);
    }

    [Fact]
    public void FromSchema_WhenMirrorLacksBitmapMember_ShouldReportStockQemu()
    {
        var caps = QmpCapabilities.FromSchema(Schema("job-id", "device", "target", "sync", "copy-mode"), new Version(7, 2, 22));
        Assert.False(caps.NativeBitmapMirror);
        Assert.True(caps.BackupSupportsBitmap);
        Assert.False(caps.HasCommand("drive-mirror"));
    }

    [Theory]
    [InlineData("pre-switchover", MigrationStatus.PreSwitchover)]
    [InlineData("postcopy-active", MigrationStatus.PostcopyActive)]
    [InlineData("brand-new-state", MigrationStatus.Unknown)]
    public void QmpEnum_ParsesQapiValues(string value, MigrationStatus expected) => Assert.Equal(expected, QmpEnum.Parse<MigrationStatus>(value));

    [Fact]
    public void QmpEnum_FormatsQapiValues()
    {
        Assert.Equal("on-success", QmpEnum.ToQapi(BitmapSyncMode.OnSuccess));
        Assert.Equal("write-blocking", QmpEnum.ToQapi(MirrorCopyMode.WriteBlocking));
        Assert.Equal("pause-before-switchover", QmpEnum.ToQapi(MigrationCapability.PauseBeforeSwitchover));
        Assert.Equal("pre-switchover", QmpEnum.ToQapi(MigrationStatus.PreSwitchover));
    }
}
