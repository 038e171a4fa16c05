using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Waits for a time span without holding a thread (Elsa's <c>Elsa.Delay</c>): creates a durable timer bookmark
/// (<c>ResumeAt</c> = now + <see cref="TimeSpan"/>) that the runtime resumes, also after a restart; completes on resume.
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.SchedulingCategory, "Delay execution for the specified amount of time.", DisplayName = "Delay")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Delay : Activity
{
    /// <summary>The bookmark name the runtime resumes.</summary>
    public const string BookmarkName = "Delay";

    /// <summary>How long to wait, e.g. <c>00:05:00</c>.</summary>
    [Input(Description = "The amount of time to delay execution, e.g. 00:05:00.", Required = true)]
    public Input<TimeSpan>? TimeSpan { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var delay = context.Get(TimeSpan);
        if (delay < System.TimeSpan.Zero)
            throw new InvalidOperationException($"Delay '{context.Activity.Id}': the time span {delay} is negative; use a positive duration such as 00:05:00.");
        var resumeAt = context.Time.GetUtcNow() + delay;
        context.CreateBookmark(BookmarkName, new JsonObject { ["resumeAt"] = resumeAt }, resumeAt);
        return ValueTask.CompletedTask;
    }
}
