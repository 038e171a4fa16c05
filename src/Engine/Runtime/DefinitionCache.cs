using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Parsed definitions by their exact JSON text, so resuming or recovering an instance re-parses its stored definition
/// at most once per process. Small and bounded: cleared when it grows past <see cref="Capacity"/> entries.
/// </summary>
internal sealed class DefinitionCache(IWorkflowDefinitionLoader loader, IActivityRegistry registry, WorkflowActivityResolver workflows)
{
    private const int Capacity = 128;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FlowGraph> _byJson = new(StringComparer.Ordinal);

    /// <summary>The graph of a definition being started (its exported JSON is what instances store).</summary>
    public FlowGraph Get(WorkflowDefinition definition)
    {
        var json = loader.Export(definition);
        lock (_lock)
        {
            if (_byJson.TryGetValue(json, out var cached))
                return cached;
        }
        return Add(json, new FlowGraph(definition, json, registry, workflows));
    }

    /// <summary>The graph of a stored definition (validated again: the activity types may have changed since).</summary>
    public FlowGraph Get(string json)
    {
        lock (_lock)
        {
            if (_byJson.TryGetValue(json, out var cached))
                return cached;
        }
        return Add(json, new FlowGraph(loader.Load(json), json, registry, workflows));
    }

    private FlowGraph Add(string json, FlowGraph graph)
    {
        lock (_lock)
        {
            if (_byJson.Count >= Capacity)
                _byJson.Clear();
            _byJson[json] = graph;
        }
        return graph;
    }
}
