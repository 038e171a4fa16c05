using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Host.Tests.Studio;

/// <summary>A VmMigration activity of the test host, so Studio's palette shows the VmMigration category before the
/// real VmMigration.* activities exist. Type name: <c>VmMigration.TestProbe</c>.</summary>
[Activity("VmMigration", "VmMigration", "Checks that a VM answers (test activity of the host tests).", DisplayName = "Test probe")]
[FlowNode("Done", "Unreachable")]
public sealed class TestProbe : CodeActivity
{
    [Input(DisplayName = "VM name", Description = "The VM to probe, e.g. web01.", Required = true)]
    public Input<string>? VmName { get; set; }

    [Input(DisplayName = "Timeout", Description = "How long to wait for an answer.", DefaultValue = "00:00:05")]
    public Input<TimeSpan>? Timeout { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => context.CompleteAsync("Done");
}
