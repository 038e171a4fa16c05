using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Tests.Json;

// A tiny stand-in for the VmMigration activities of the Studio-saved sample: same type and input names, no behaviour.

[Activity("VmMigration", "Migration", "Adds a dirty bitmap.")]
public sealed class AddDirtyBitmap : CodeActivity
{
    [Input(Description = "The VM.", Required = true)]
    public Input<string>? VmName { get; set; }

    [Input(Description = "The disk.")]
    public Input<string>? Disk { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}

[Activity("VmMigration", "Migration", "Replicates a dataset.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
public sealed class ZfsReplicate : CodeActivity
{
    [Input(Description = "The dataset.", Required = true)]
    public Input<string>? Dataset { get; set; }

    [Input(Description = "The target host.")]
    public Input<string>? TargetHost { get; set; }

    [Output(Description = "Bytes sent.")]
    public Output<long>? BytesSent { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}

[Activity("VmMigration", "Migration", "Waits for the mirrors to converge.")]
[FlowNode(Converged, TimedOut, Outcomes.Failed)]
public sealed class WaitConvergence : CodeActivity
{
    public const string Converged = "Converged";
    public const string TimedOut = "TimedOut";

    [Input(Description = "How long to wait.", DefaultValue = "00:10:00")]
    public Input<TimeSpan>? Timeout { get; set; }

    [Input(Description = "Retries.")]
    public Input<int>? Retries { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}

public enum MirrorStrategy { Auto, Native, BackupPasses }

[Activity("VmMigration", "Migration", "Mirrors dirty blocks.")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class BitmapMirror : CodeActivity
{
    [Input(Description = "The strategy.", DefaultValue = MirrorStrategy.Auto)]
    public Input<MirrorStrategy>? Strategy { get; set; }

    [Input(Description = "Verify afterwards.")]
    public Input<bool>? Verify { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}

[Activity("VmMigration", "Migration", "Undoes the ledger.")]
public sealed class Rollback : CodeActivity
{
    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}

/// <summary>The built-in Elsa activities plus the sample's VmMigration stand-ins.</summary>
public static class TestRegistry
{
    public static ActivityRegistry Create() =>
        ActivityRegistry.FromTypes(typeof(Start).Assembly.GetExportedTypes()
            .Concat([typeof(AddDirtyBitmap), typeof(ZfsReplicate), typeof(WaitConvergence), typeof(BitmapMirror), typeof(Rollback)]));

    public static string Sample(string folder, string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, folder, "Samples", name));
}
