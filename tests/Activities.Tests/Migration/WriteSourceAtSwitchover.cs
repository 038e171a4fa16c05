using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// Test-only: writes to a source drive through QEMU's block layer (HMP qemu-io, which still writes while the vCPUs are
/// stopped) between LiveMigrate and CompleteMirror, so the final copy pass at pre-switchover must carry it: a known
/// region "the last copy pass touched".
/// </summary>
[Activity("Test", "Test", "Writes a known pattern to a source drive at pre-switchover (test only).")]
public sealed class WriteSourceAtSwitchover : CodeActivity
{
    [Input(Description = "BlockBackend (drive) id on the source.")]
    public Input<string>? Drive { get; set; }

    [Input(Description = "Byte offset (4 KiB aligned).")]
    public Input<long>? Offset { get; set; }

    [Input(Description = "Bytes to write (4 KiB multiple).")]
    public Input<long>? Length { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        if (scope.State.Ram is null) throw new InvalidOperationException("WriteSourceAtSwitchover belongs between LiveMigrate and CompleteMirror.");
        var source = await scope.SourceAsync();
        var (drive, offset, length) = (context.Get(Drive)!, context.Get(Offset), context.Get(Length));
        await BlockLayerWriter.WriteAsync(source.Client, drive, offset, length, 0x5A, context.CancellationToken);
        await context.JournalAsync($"Wrote {length} bytes at {offset} to {drive} on the source at pre-switchover");
    }
}
