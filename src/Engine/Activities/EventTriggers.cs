using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Published definitions whose flowchart starts with an <see cref="Event"/> of a given name are triggered by
/// <see cref="PublishEvent"/> (Elsa's event trigger): each gets a new instance, its Event completing at once as the trigger.
/// </summary>
internal static class EventTriggers
{
    private const string EventType = "Elsa.Event";

    /// <summary>Starts an instance of every published definition triggered by <paramref name="eventName"/>; returns how many.</summary>
    public static async ValueTask<int> StartAsync(ActivityExecutionContext context, string eventName, string? correlationId)
    {
        var store = context.Services.GetService<IWorkflowDefinitionStore>();
        if (store is null)
            return 0;
        var registry = context.Services.GetRequiredService<IActivityRegistry>();
        var loader = context.Services.GetRequiredService<IWorkflowDefinitionLoader>();
        var runtime = context.Services.GetRequiredService<IWorkflowRuntime>();
        var started = 0;
        foreach (var latest in await store.ListLatestAsync(context.CancellationToken))
        {
            var published = await store.GetPublishedAsync(latest.DefinitionId, context.CancellationToken);
            if (published is null || DefinitionReader.Read(published.Json).Definition is not { } definition)
                continue;
            var start = FlowchartStart.Find(definition, registry);
            if (start?.Type != EventType || LiteralText(start.Inputs.GetValueOrDefault("eventName")) != eventName)
                continue;
            await runtime.StartAsync(loader.Load(published.Json), null, new StartWorkflowOptions(CorrelationId: correlationId), context.CancellationToken);
            started++;
        }
        return started;
    }

    private static string? LiteralText(Expression? expression) =>
        expression is { Type: Expression.Types.Literal, Value: System.Text.Json.Nodes.JsonValue v } && v.TryGetValue<string>(out var text) ? text : null;
}
