using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Waits until an event of the given name is published (Elsa's <c>Elsa.Event</c>, resumed by <see cref="PublishEvent"/>
/// or by resuming its bookmark through the API); its Result is the event's payload.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Wait for an event to be published.", DisplayName = "Event")]
[Recovery(RecoveryPolicy.Rerun)]
[WaitsForStimulus]
public sealed class Event : Activity
{
    /// <summary>The bookmark name; the payload holds <c>eventName</c>.</summary>
    public const string BookmarkName = "Event";

    [Input(Description = "The name of the event to wait for.", Required = true)]
    public Input<string>? EventName { get; set; }

    [Output(Description = "The payload the event was published with.")]
    public Output<object>? Result { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        if (context.IsTriggerOfWorkflow)
            return context.CompleteAsync(Outcomes.Done);
        context.CreateBookmark(BookmarkName, new JsonObject { ["eventName"] = context.Get(EventName) });
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnResumeAsync(ActivityExecutionContext context, Bookmark bookmark)
    {
        context.Set(Result, bookmark.ResumeInput?.DeepClone()!);
        return context.CompleteAsync(Outcomes.Done);
    }
}
