using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// The immutable, precomputed shape of a definition the runtime executes: one activity object per node, outbound
/// connections per port, and for every join the nodes upstream of each inbound connection (used to decide which
/// branches can still arrive). Shared by every instance of the same definition.
/// </summary>
internal sealed class FlowGraph
{
    private readonly FrozenDictionary<string, Connection[]> _outbound;

    public FlowGraph(WorkflowDefinition definition, string definitionJson, IActivityRegistry registry, WorkflowActivityResolver? workflows = null)
    {
        Definition = definition;
        DefinitionJson = definitionJson;
        Nodes = definition.Root.Activities.ToFrozenDictionary(a => a.Id, StringComparer.Ordinal);
        Activities = definition.Root.Activities.ToFrozenDictionary(a => a.Id,
            a => registry.Find(a.Type) is null && workflows?.Find(a) is { } workflow
                ? new Inline.WorkflowDefinitionActivity(workflow) { Id = a.Id, Type = a.Type, Node = a }
                : registry.Create(a), StringComparer.Ordinal);
        Descriptors = definition.Root.Activities.ToFrozenDictionary(a => a.Id,
            a => registry.Find(a.Type)
                 ?? (Activities[a.Id] is Inline.WorkflowDefinitionActivity w ? Inline.WorkflowDefinitionActivity.Describe(w.Definition, a.Type) : null)
                 ?? throw new InvalidOperationException($"Activity '{a.Id}' has the unknown type '{a.Type}'."), StringComparer.Ordinal);
        _outbound = definition.Root.Connections
            .Where(c => Nodes.ContainsKey(c.TargetId))
            .GroupBy(c => PortKey(c.SourceId, c.SourcePort))
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        // FlowJoin, and any node whose customProperties.mergeMode makes it wait (Elsa 3.5's Merge, Converge, Race).
        Joins = Activities
            .Select(a => (a.Key, Mode: a.Value is IJoinActivity join ? join.Mode : MergeModes.JoinModeOf(Nodes[a.Key])))
            .Where(a => a.Mode is not null || Activities[a.Key] is IJoinActivity)
            .ToFrozenDictionary(a => a.Key, a => new JoinInfo(a.Key, a.Mode, Upstream(definition, a.Key))
            {
                EveryInbound = MergeModes.WaitsForEveryInbound(Nodes[a.Key]),
            }, StringComparer.Ordinal);
        StartActivityId = FlowchartStart.Find(definition, registry)?.Id;
        VariableNamesById = definition.Variables.ToFrozenDictionary(v => v.Id, v => v.Name, StringComparer.Ordinal);
    }

    public WorkflowDefinition Definition { get; }

    /// <summary>The variables a new instance starts with, converted to their declared types.</summary>
    public Dictionary<string, JsonNode?> InitialVariables() => TypedVariables(Definition);

    /// <summary>A definition's variables by name, each converted to its declared type; throws <see cref="FormatException"/>
    /// naming the variable whose value does not convert.</summary>
    public static Dictionary<string, JsonNode?> TypedVariables(WorkflowDefinition definition)
    {
        var variables = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var variable in definition.Variables)
            variables[variable.Name] = VariableTypes.Convert(variable.Value, VariableTypes.TypeNameOf(variable), $"variable '{variable.Name}'");
        return variables;
    }

    /// <summary>The JSON stored with every instance (exported from <see cref="Definition"/>).</summary>
    public string DefinitionJson { get; }

    public FrozenDictionary<string, ActivityNode> Nodes { get; }
    public FrozenDictionary<string, Activity> Activities { get; }
    public FrozenDictionary<string, ActivityDescriptor> Descriptors { get; }
    public FrozenDictionary<string, JoinInfo> Joins { get; }
    public FrozenDictionary<string, string> VariableNamesById { get; }
    public string? StartActivityId { get; }
    public string? CompensationActivityId => Definition.CompensationActivityId;

    /// <summary>The connections leaving <paramref name="activityId"/>'s <paramref name="port"/>.</summary>
    public IReadOnlyList<Connection> Outbound(string activityId, string port) =>
        _outbound.TryGetValue(PortKey(activityId, port), out var connections) ? connections : [];

    public RecoveryPolicy RecoveryOf(string activityId) => Descriptors[activityId].Recovery;

    /// <summary>The activity declares it changes nothing outside the instance (<see cref="Model.ChangesNothingOutsideAttribute"/>).</summary>
    public bool ChangesNothingOutside(string activityId) =>
        Descriptors.TryGetValue(activityId, out var d) && d.ClrType.IsDefined(typeof(Model.ChangesNothingOutsideAttribute), false);

    /// <summary>Elsa.Finish and the like: completing it ends the instance.</summary>
    public bool IsTerminal(string activityId) => Descriptors[activityId].IsTerminal;

    public static string ConnectionKey(Connection c) => $"{c.SourceId}:{c.SourcePort}->{c.TargetId}";

    private static string PortKey(string activityId, string port) => activityId + "\n" + port;

    // For each inbound connection of the join: the nodes from which that connection can still be reached without
    // passing through the join itself (reverse breadth-first search from the connection's source).
    private static IReadOnlyList<JoinInbound> Upstream(WorkflowDefinition definition, string joinId)
    {
        var inboundByTarget = definition.Root.Connections.ToLookup(c => c.TargetId, StringComparer.Ordinal);
        var result = new List<JoinInbound>();
        foreach (var connection in inboundByTarget[joinId])
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { connection.SourceId };
            var queue = new Queue<string>([connection.SourceId]);
            while (queue.TryDequeue(out var node))
            {
                foreach (var inbound in inboundByTarget[node])
                {
                    if (inbound.SourceId != joinId && seen.Add(inbound.SourceId))
                        queue.Enqueue(inbound.SourceId);
                }
            }
            seen.Remove(joinId);
            result.Add(new JoinInbound(ConnectionKey(connection), seen.ToFrozenSet(StringComparer.Ordinal)));
        }
        return result;
    }
}

/// <summary>A join node and, per inbound connection, the nodes upstream of it.</summary>
internal sealed record JoinInfo(string Id, Input<FlowJoinMode>? Mode, IReadOnlyList<JoinInbound> Inbound)
{
    /// <summary>Converge: fires only when every inbound connection delivered a token (never when one cannot).</summary>
    public bool EveryInbound { get; init; }
}

/// <summary>One inbound connection of a join (by <see cref="FlowGraph.ConnectionKey"/>) and the nodes that can still reach it.</summary>
internal sealed record JoinInbound(string ConnectionKey, FrozenSet<string> Upstream);
