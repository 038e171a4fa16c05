using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Engine.Activities;

/// <summary>What ExecuteWorkflow and DispatchWorkflow share: start the published version of a definition as a new
/// instance with the given inputs, and (when asked) wait for its end and return its status and outputs.</summary>
internal static class ChildWorkflows
{
    public static async ValueTask<JsonObject> StartAsync(ActivityExecutionContext context, string? definitionId, string? correlationId, object? input, bool wait)
    {
        if (string.IsNullOrWhiteSpace(definitionId))
            throw new InvalidOperationException($"'{context.Activity.Id}': no workflow definition id given; name a published workflow definition.");
        var store = context.Services.GetRequiredService<IWorkflowDefinitionStore>();
        var stored = await store.GetPublishedAsync(definitionId, context.CancellationToken)
            ?? throw new InvalidOperationException($"'{context.Activity.Id}': workflow definition '{definitionId}' has no published version; import and publish it first.");
        var definition = context.Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(stored.Json);
        var inputs = (Composition.ToNode(input) as JsonObject ?? []).ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        var runtime = context.Services.GetRequiredService<IWorkflowRuntime>();
        var instanceId = await runtime.StartAsync(definition, inputs, new StartWorkflowOptions(CorrelationId: correlationId), context.CancellationToken);
        var result = new JsonObject { ["instanceId"] = instanceId };
        if (!wait)
            return result;
        var status = await runtime.WaitForEndAsync(instanceId, context.CancellationToken);
        var instance = await context.Services.GetRequiredService<IWorkflowInstanceStore>().GetAsync(instanceId, context.CancellationToken);
        result["status"] = status.ToString();
        result["output"] = instance is null ? null : WorkflowOutputs.Read(instance).DeepClone();
        return result;
    }
}
