using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Publishes an event (Elsa's <c>Elsa.PublishEvent</c>): resumes every <see cref="Event"/> of that name waiting in this
/// instance (<see cref="IsLocalEvent"/>) or in any instance, optionally only those with the given correlation id; a
/// non-local event also starts every published definition whose flowchart starts with that Event (its trigger).</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Publishes an event.", DisplayName = "Publish Event")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class PublishEvent : CodeActivity
{
    [Input(Description = "The name of the event to publish.", Required = true)]
    public Input<string>? EventName { get; set; }

    [Input(DisplayName = "Correlation ID", Description = "Only instances with this correlation id receive the event (empty: all).")]
    public Input<string>? CorrelationId { get; set; }

    [Input(Description = "True: only this workflow instance receives the event.")]
    public Input<bool>? IsLocalEvent { get; set; }

    [Input(Description = "The payload to send (the Event's Result).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? Payload { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var name = context.Get(EventName);
        var correlationId = context.Get(CorrelationId);
        var local = context.Get(IsLocalEvent);
        var payload = Composition.ToNode(context.Get(Payload));
        var instances = context.Services.GetRequiredService<IWorkflowInstanceStore>();
        var runtime = context.Services.GetRequiredService<IWorkflowRuntime>();
        var resumed = 0;
        foreach (var waiting in await instances.FindBookmarksAsync(Event.BookmarkName, context.CancellationToken))
        {
            if (waiting.Bookmark.Payload?["eventName"]?.GetValue<string>() != name || (local && waiting.InstanceId != context.InstanceId))
                continue;
            if (!string.IsNullOrEmpty(correlationId) && (await instances.GetAsync(waiting.InstanceId, context.CancellationToken))?.CorrelationId != correlationId)
                continue;
            // The instance's gate is not held while an activity runs, so this also resumes an Event of this very instance.
            if (await runtime.ResumeBookmarkAsync(waiting.InstanceId, waiting.Bookmark.Id, payload, context.CancellationToken))
                resumed++;
        }
        var triggered = local || string.IsNullOrEmpty(name) ? 0 : await EventTriggers.StartAsync(context, name, correlationId);
        await context.JournalAsync($"Published event '{name}' ({resumed} waiting instance(s) resumed, {triggered} triggered).");
    }
}
