namespace Elsa.Migration.Engine.Model;

/// <summary>
/// Base of every activity (mirrors Elsa 3's <c>Activity</c>). An activity finishes only when it completes itself
/// (<see cref="ActivityExecutionContext.CompleteAsync"/>); one that returns without completing must have created a
/// bookmark, and the instance is suspended until a stimulus resumes it through <see cref="OnResumeAsync"/>.
/// One object per node of a loaded definition; its <see cref="Input{T}"/> properties carry the node's expressions.
/// </summary>
public abstract class Activity
{
    /// <summary>The node id in the flowchart.</summary>
    public string Id { get; set; } = "";

    /// <summary>The JSON type name, e.g. <c>VmMigration.ZfsReplicate</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The definition node it was created from; containers read their child activities from its JSON.</summary>
    public Definitions.ActivityNode? Node { get; set; }

    /// <summary>Runs the activity. Throwing faults it (its <c>Failed</c> port is taken when connected).</summary>
    public abstract ValueTask ExecuteAsync(ActivityExecutionContext context);

    /// <summary>Called when one of this activity's bookmarks is resumed. The default completes with <c>Done</c>.</summary>
    public virtual ValueTask OnResumeAsync(ActivityExecutionContext context, Bookmark bookmark) =>
        context.CompleteAsync(Outcomes.Done);
}

/// <summary>An activity that completes when <see cref="ExecuteAsync"/> returns (with <c>Done</c> unless it completed itself).</summary>
public abstract class CodeActivity : Activity
{
    public sealed override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        await ExecuteCodeAsync(context);
        if (!context.IsCompleted)
            await context.CompleteAsync(Outcomes.Done);
    }

    /// <summary>The activity's work.</summary>
    protected abstract ValueTask ExecuteCodeAsync(ActivityExecutionContext context);
}

/// <summary>A code activity with a typed <c>Result</c> output.</summary>
public abstract class CodeActivity<T> : CodeActivity
{
    [Output(Description = "The activity's result.")]
    public Output<T>? Result { get; set; }
}

/// <summary>
/// Marks an activity whose completion ends the flowchart it is in (Elsa's <c>ITerminalNode</c>: Finish, End, Complete):
/// at the root the instance finishes and other branches are cancelled; inside a container only that flowchart ends.
/// </summary>
public interface ITerminalNode;

/// <summary>Outcome names shared by many activities.</summary>
public static class Outcomes
{
    public const string Done = "Done";
    public const string Failed = "Failed";
}
