using System.Text.Json;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// Finds where a flowchart starts, following Elsa 3's rule: the activity the flowchart names in <c>start</c>; else the
/// first <c>Elsa.Start</c> node; else the first activity
/// whose <c>customProperties.canStartWorkflow</c> is true (Studio's "Trigger workflow" toggle) and that has no inbound
/// connection; else the first activity without inbound connections. The compensation activity never counts: it runs
/// only on fault or cancellation. A flowchart whose activities all have inbound connections (a pure cycle) has no start.
/// </summary>
public static class FlowchartStart
{
    /// <summary>The start activity of <paramref name="definition"/>, or null when it has none.</summary>
    public static ActivityNode? Find(WorkflowDefinition definition, IActivityRegistry registry)
    {
        var activities = definition.Root.Activities.Where(a => a.Id != definition.CompensationActivityId).ToList();
        // Elsa's flowchart may name its start activity ("start": ID); honoured when that activity exists.
        if (!definition.Root.IsActivityRoot && Json.DefinitionReader.Text(definition.Root.Json["start"]) is { } named
            && activities.FirstOrDefault(a => a.Id == named) is { } startNamed)
            return startNamed;
        var explicitStart = activities.FirstOrDefault(a => registry.Find(a.Type)?.IsStart == true);
        if (explicitStart is not null)
            return explicitStart;
        var targets = definition.Root.Connections.Select(c => c.TargetId).ToHashSet(StringComparer.Ordinal);
        var withoutInbound = activities.Where(a => !targets.Contains(a.Id)).ToList();
        return withoutInbound.FirstOrDefault(CanStartWorkflow) ?? withoutInbound.FirstOrDefault();
    }

    private static bool CanStartWorkflow(ActivityNode node) =>
        node.Json["customProperties"]?["canStartWorkflow"] is JsonValue v && v.GetValueKind() == JsonValueKind.True;
}
