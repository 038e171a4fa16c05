using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>
/// A loaded Elsa 3 workflow definition (Flowchart root). <see cref="Document"/> is the whole JSON as read, so that
/// saving writes back every property we do not model (unknown properties survive a round trip).
/// </summary>
public sealed class WorkflowDefinition
{
    public required string Id { get; init; }
    public required string DefinitionId { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public int Version { get; init; } = 1;
    public bool IsPublished { get; init; }
    public bool IsLatest { get; init; } = true;
    public IReadOnlyList<VariableDefinition> Variables { get; init; } = [];
    public IReadOnlyList<WorkflowInputDefinition> Inputs { get; init; } = [];
    /// <summary>Names of the declared workflow outputs (<c>outputs[]</c>): a workflow activity's outputs in its parent.</summary>
    public IReadOnlyList<string> Outputs { get; init; } = [];
    /// <summary>Declared outcomes (<c>outcomes[]</c>): a workflow activity's ports in its parent (besides <c>Done</c>).</summary>
    public IReadOnlyList<string> Outcomes { get; init; } = [];
    public required Flowchart Root { get; init; }
    /// <summary>The activity a fault or cancellation runs as compensation (e.g. a <c>VmMigration.Rollback</c> node), if any.</summary>
    public string? CompensationActivityId { get; init; }
    public required JsonObject Document { get; init; }
}

/// <summary>A workflow variable (<c>variables[]</c>).</summary>
public sealed record VariableDefinition(string Id, string Name, string TypeName, bool IsArray, JsonNode? Value)
{
    /// <summary>Declared in a container's own <c>variables</c> (a Sequence, a nested flowchart), not the workflow's;
    /// written back there, never to the workflow's list.</summary>
    public bool DeclaredInContainer { get; init; }
}

/// <summary>A workflow input (<c>inputs[]</c>), set when an instance starts (e.g. <c>--input VmId=100</c>).</summary>
public sealed record WorkflowInputDefinition(string Name, string TypeName, string? DisplayName, string? Description, bool IsRequired, JsonNode? DefaultValue);

/// <summary>
/// The flowchart: activities and the connections between their ports. A definition whose root is another activity
/// (an <c>Elsa.Sequence</c>, a single activity, a workflow activity) is read as a flowchart of that one node
/// (<see cref="IsActivityRoot"/>), which is how Elsa runs it too: the root activity is the whole workflow.
/// </summary>
public sealed record Flowchart(string Id, IReadOnlyList<ActivityNode> Activities, IReadOnlyList<Connection> Connections)
{
    /// <summary>The root JSON object (the flowchart's, or the root activity's).</summary>
    public JsonObject Json { get; init; } = new() { ["type"] = "Elsa.Flowchart", ["id"] = Id };

    /// <summary>True when the root is not a flowchart but the single activity in <see cref="Activities"/>.</summary>
    public bool IsActivityRoot { get; init; }
}

/// <summary>One activity node: its type, input expressions (by camelCase input name) and output bindings (output name to variable id).</summary>
public sealed record ActivityNode(
    string Id,
    string Type,
    int Version,
    string? Name,
    IReadOnlyDictionary<string, Expression> Inputs,
    IReadOnlyDictionary<string, string> Outputs,
    JsonObject Json);

/// <summary>A connection from an outcome port of one activity to the <c>In</c> port of another.</summary>
public sealed record Connection(string SourceId, string SourcePort, string TargetId, string TargetPort = "In");
