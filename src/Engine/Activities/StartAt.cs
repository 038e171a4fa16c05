using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Triggers the workflow once at a date and time, or waits until then inside a flow (Elsa's <c>Elsa.StartAt</c>).
/// At the start of a published definition the host turns it into a one-shot schedule.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.SchedulingCategory, "Trigger execution at a specific time in the future.", DisplayName = "Start At")]
[Recovery(RecoveryPolicy.Rerun)]
[WaitsForStimulus]
public sealed class StartAt : Activity
{
    [Input(Description = "The date and time (ISO 8601, UTC unless an offset is given) at which to continue.", Required = true)]
    public Input<DateTimeOffset>? DateTime { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context) =>
        ScheduledWait.WaitUntilAsync(context, context.Get(DateTime));
}
