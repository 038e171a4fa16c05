using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Triggers the workflow on a cron schedule, or waits for its next occurrence inside a flow (Elsa's <c>Elsa.Cron</c>).
/// At the start of a published definition the host turns it into a schedule.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.SchedulingCategory, "Trigger workflow execution at a specific interval using a CRON expression.", DisplayName = "Cron")]
[Recovery(RecoveryPolicy.Rerun)]
[WaitsForStimulus]
public sealed class Cron : Activity
{
    [Input(Description = "The CRON expression, e.g. \"0 2 * * *\" (five fields, or six with seconds first).", Required = true)]
    public Input<string>? CronExpression { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var expression = context.Get(CronExpression) ?? "";
        var next = CronSchedule.Next(expression, context.Time.GetUtcNow())
            ?? throw new InvalidOperationException($"Cron '{context.Activity.Id}': '{expression}' never fires again; fix the expression.");
        return ScheduledWait.WaitUntilAsync(context, next);
    }
}
