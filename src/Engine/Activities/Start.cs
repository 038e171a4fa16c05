using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Marks where a flowchart starts (Elsa's <c>Elsa.Start</c>). Completes at once with <c>Done</c>.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.FlowCategory, "The start of the workflow.", DisplayName = "Start")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Start : CodeActivity
{
    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}
