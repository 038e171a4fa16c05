using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Triggers the workflow periodically, or waits for one interval inside a flow (Elsa's <c>Elsa.Timer</c>).
/// At the start of a published definition the host turns it into a schedule.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.SchedulingCategory, "Trigger workflow execution at a specific interval.", DisplayName = "Timer")]
[Recovery(RecoveryPolicy.Rerun)]
[WaitsForStimulus]
public sealed class Timer : Activity
{
    [Input(Description = "The interval at which the timer should execute, e.g. 00:10:00.", Required = true)]
    public Input<TimeSpan>? Interval { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context) =>
        ScheduledWait.WaitUntilAsync(context, context.Time.GetUtcNow() + context.Get(Interval));
}
