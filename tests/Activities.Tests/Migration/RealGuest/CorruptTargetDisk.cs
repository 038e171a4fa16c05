using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// Test-only fault: overwrites 4 KiB of a target disk at an offset (fsync'ed, so an O_DIRECT reader sees it), the way a
/// broken copy path would leave the target wrong. Placed between CompleteMirror and VerifyDisks.
/// </summary>
[Activity("Test", "Test", "Overwrites 4 KiB of a target disk (fault injection).")]
public sealed class CorruptTargetDisk : CodeActivity
{
    [Input(Description = "Guest device id of the disk to damage.")]
    public Input<string>? Disk { get; set; }

    [Input(Description = "Byte offset (4 KiB aligned).")]
    public Input<long>? Offset { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var plan = MigrationPlan.Read(context);
        var disk = plan.Disks.Single(d => d.DeviceId == context.Get(Disk));
        var block = new byte[4096];
        Array.Fill(block, (byte)0xEE);
        await using (var fs = new FileStream(disk.TargetPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            fs.Position = context.Get(Offset);
            await fs.WriteAsync(block, context.CancellationToken);
            fs.Flush(flushToDisk: true);
        }
        await context.JournalAsync($"Damaged {disk.DeviceId} on the target at offset {context.Get(Offset)}");
    }
}
