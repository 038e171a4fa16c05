using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Runs a nested flowchart's <c>activities</c> and <c>connections</c> inside its container's execution, one activity at
/// a time in arrival order (as Elsa does). Joins (<c>Elsa.FlowJoin</c>, or <c>customProperties.mergeMode</c> Merge,
/// Converge, Race) follow the root flowchart's rules: WaitAll fires when every inbound connection delivered or can no
/// longer deliver; WaitAny fires once, on the first. A terminal node or <c>Elsa.Complete</c> ends the flowchart; a
/// fault takes the child's <c>Failed</c> port when it is connected.
/// </summary>
internal static class NestedFlowchart
{
    private const string JoinType = "Elsa.FlowJoin";

    public static async ValueTask<ChildResult> RunAsync(ActivityExecutionContext context)
    {
        var activities = Composition.Children(context, "activities").ToDictionary(a => DefinitionReader.Text(a["id"])!, StringComparer.Ordinal);
        var connections = (context.Activity.Node?.Json["connections"] as JsonArray ?? [])
            .Select(DefinitionReader.ReadConnection).OfType<Definitions.Connection>().Where(c => activities.ContainsKey(c.TargetId)).ToList();
        var named = DefinitionReader.Text(context.Activity.Node?.Json["start"]);
        var start = named is not null && activities.ContainsKey(named) ? named : FindStart(activities, connections);
        if (start is null)
            return new ChildResult([Outcomes.Done]);

        var queue = new List<string> { start };
        var arrivals = new Dictionary<string, HashSet<Definitions.Connection>>(StringComparer.Ordinal);
        var raced = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            var id = queue[0];
            queue.RemoveAt(0);
            ChildResult result;
            try
            {
                result = await context.RunChildAsync(activities[id]);
            }
            catch (Exception e) when (e is not OperationCanceledException && connections.Any(c => c.SourceId == id && c.SourcePort == Outcomes.Failed))
            {
                await context.JournalAsync($"'{id}' failed: {e.Message}; taking its Failed port.");
                result = new ChildResult([Outcomes.Failed]);
            }
            if (result.Signal == ChildSignal.Break)
                return result;
            if (result.Signal == ChildSignal.Complete)
                return new ChildResult(result.Outcomes.Count == 0 ? [Outcomes.Done] : result.Outcomes);
            foreach (var connection in connections.Where(c => c.SourceId == id && result.Outcomes.Contains(c.SourcePort)))
            {
                var mode = JoinMode(context, activities[connection.TargetId]);
                if (mode is null)
                    queue.Add(connection.TargetId);
                else if (mode == FlowJoinMode.WaitAny)
                {
                    if (raced.Add(connection.TargetId))
                        queue.Add(connection.TargetId);
                }
                else
                {
                    if (!arrivals.TryGetValue(connection.TargetId, out var arrived))
                        arrivals[connection.TargetId] = arrived = [];
                    arrived.Add(connection);
                }
            }
            foreach (var (join, arrived) in arrivals.ToList())
            {
                var waiting = connections.Where(c => c.TargetId == join && !arrived.Contains(c)).ToList();
                var everyInbound = JoinMode(context, activities[join]) == FlowJoinMode.WaitAllInbound
                    || (DefinitionReader.ReadActivityNode(activities[join]) is { } joinNode && MergeModes.WaitsForEveryInbound(joinNode));
                if ((everyInbound && waiting.Count > 0) || waiting.Any(c => Upstream(connections, c.SourceId, join).Overlaps(queue)))
                    continue;
                arrivals.Remove(join);
                queue.Add(join);
            }
        }
        return new ChildResult([Outcomes.Done]);
    }

    private static string? FindStart(Dictionary<string, JsonObject> activities, List<Definitions.Connection> connections)
    {
        if (activities.FirstOrDefault(a => DefinitionReader.Text(a.Value["type"]) == BuiltIn.StartType).Key is { } explicitStart)
            return explicitStart;
        var targets = connections.Select(c => c.TargetId).ToHashSet(StringComparer.Ordinal);
        var withoutInbound = activities.Where(a => !targets.Contains(a.Key)).ToList();
        return withoutInbound.FirstOrDefault(a => a.Value["customProperties"]?["canStartWorkflow"] is JsonValue v && v.GetValueKind() == JsonValueKind.True).Key
            ?? withoutInbound.FirstOrDefault().Key;
    }

    private static FlowJoinMode? JoinMode(ActivityExecutionContext context, JsonObject activity)
    {
        var node = DefinitionReader.ReadActivityNode(activity);
        if (node is null)
            return null;
        if (node.Type == JoinType)
            return node.Inputs.TryGetValue("mode", out var mode) ? context.Get(new Input<FlowJoinMode>(mode)) : FlowJoinMode.WaitAll;
        return MergeModes.JoinModeOf(node) is { } fromMergeMode ? context.Get(fromMergeMode) : null;
    }

    // The nodes from which `from` can be reached without passing through the join (reverse breadth-first search).
    private static HashSet<string> Upstream(List<Definitions.Connection> connections, string from, string join)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var node))
        {
            foreach (var inbound in connections.Where(c => c.TargetId == node && c.SourceId != join))
                if (seen.Add(inbound.SourceId))
                    queue.Enqueue(inbound.SourceId);
        }
        return seen;
    }
}
