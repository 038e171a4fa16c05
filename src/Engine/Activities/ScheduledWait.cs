using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>What Timer, Cron and StartAt share: as the trigger an instance started from they complete at once (Elsa's
/// rule: the trigger already fired); otherwise they wait on a durable timer bookmark.</summary>
internal static class ScheduledWait
{
    public const string BookmarkName = "Timer";

    public static ValueTask WaitUntilAsync(ActivityExecutionContext context, DateTimeOffset? resumeAt)
    {
        if (context.IsTriggerOfWorkflow || resumeAt is null || resumeAt <= context.Time.GetUtcNow())
            return context.CompleteAsync(Outcomes.Done);
        context.CreateBookmark(BookmarkName, new JsonObject { ["resumeAt"] = resumeAt.Value }, resumeAt.Value);
        return ValueTask.CompletedTask;
    }
}
