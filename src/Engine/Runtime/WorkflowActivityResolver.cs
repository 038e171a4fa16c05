using System.Collections.Concurrent;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Workflow definitions used as activities (Elsa's <c>WorkflowDefinitionActivity</c>): a node whose <c>type</c> is not
/// an activity type but another definition's name or id (or which names it in <c>workflowDefinitionId</c>). Resolved
/// from the definition store before an instance starts (<c>PrepareAsync</c>), Elsa's way: the published version;
/// when nothing is published, the latest version. Definitions given on the command line can be registered directly.
/// Cycles (a uses b uses a) are refused: they would recurse forever.
/// </summary>
public sealed class WorkflowActivityResolver(IWorkflowDefinitionStore? store, IActivityRegistry registry)
{
    // Given explicitly (the CLI's files) win over what the store holds; the store's are reloaded at every preparation,
    // so a newly published child version is used by the next instance.
    private readonly ConcurrentDictionary<string, WorkflowDefinition> _registered = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, WorkflowDefinition> _loaded = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Makes <paramref name="definition"/> usable as an activity by its definition id and its name (replaces an older one).</summary>
    public void Register(WorkflowDefinition definition) => Add(_registered, definition);

    /// <summary>The definition a node runs, when its type is a (prepared or registered) workflow definition.</summary>
    public WorkflowDefinition? Find(ActivityNode node) =>
        (DefinitionReader.Text(node.Json["workflowDefinitionId"]) is { } id ? Find(id) : null) ?? Find(node.Type);

    /// <summary>The definition of a type name (definition id or name, spaces ignored).</summary>
    public WorkflowDefinition? Find(string typeName) =>
        _registered.GetValueOrDefault(typeName) ?? _registered.GetValueOrDefault(Key(typeName))
        ?? _loaded.GetValueOrDefault(typeName) ?? _loaded.GetValueOrDefault(Key(typeName));

    private static void Add(ConcurrentDictionary<string, WorkflowDefinition> map, WorkflowDefinition definition)
    {
        map[definition.DefinitionId] = definition;
        map[Key(definition.Name)] = definition;
    }

    /// <summary>
    /// The definition a procedure names by id or name (e.g. the migration an evacuation starts for each VM as an instance
    /// of its own): one given on the command line first, else the store's published version, else its latest (the same
    /// rules as for workflow activities). Null when there is none.
    /// </summary>
    public async Task<WorkflowDefinition?> ResolveAsync(string idOrName, CancellationToken cancellationToken)
    {
        if ((_registered.GetValueOrDefault(idOrName) ?? _registered.GetValueOrDefault(Key(idOrName))) is { } given)
            return given;
        if (store is null)
            return null;
        var stored = await FindStoredAsync(idOrName, cancellationToken);
        return stored is null ? null : DefinitionReader.Read(stored.Json).Definition;
    }

    /// <summary>
    /// Loads from the store every definition that <paramref name="definition"/> uses as an activity, recursively.
    /// Throws <see cref="InvalidOperationException"/> naming the cycle when the definitions use each other.
    /// Types that are neither activities nor stored definitions are left for validation to report.
    /// </summary>
    public async Task PrepareAsync(WorkflowDefinition definition, CancellationToken cancellationToken)
    {
        if (FindCycle(definition) is { } known)
            throw new InvalidOperationException(CycleMessage(known));
        await PrepareChildrenAsync(definition, [definition.DefinitionId], cancellationToken);
    }

    /// <summary>Loads the workflow activities a definition's JSON text uses, so that validating it knows them; a text that
    /// does not read as a definition is left for validation to report.</summary>
    public async Task PrepareAsync(string json, CancellationToken cancellationToken)
    {
        if (DefinitionReader.Read(json).Definition is { } definition)
            await PrepareAsync(definition, cancellationToken);
    }

    /// <summary>The chain of definition ids that leads back to <paramref name="definition"/> through workflow activities, or null.</summary>
    public IReadOnlyList<string>? FindCycle(WorkflowDefinition definition)
    {
        var path = new List<string> { definition.DefinitionId };
        return Visit(definition) ? path : null;

        bool Visit(WorkflowDefinition current)
        {
            foreach (var node in WorkflowNodes(current))
            {
                if (Find(node) is not { } child)
                    continue;
                path.Add(child.DefinitionId);
                if (child.DefinitionId.Equals(definition.DefinitionId, StringComparison.OrdinalIgnoreCase))
                    return true;
                if (path.Count < 32 && Visit(child))
                    return true;
                path.RemoveAt(path.Count - 1);
            }
            return false;
        }
    }

    /// <summary>Every activity node of a definition, children of containers included (depth first).</summary>
    public static IEnumerable<ActivityNode> AllNodes(WorkflowDefinition definition) =>
        definition.Root.Activities.SelectMany(a => ActivityTree.Descendants(a.Json, "")).Select(d => DefinitionReader.ReadActivityNode(d.Activity)).OfType<ActivityNode>();

    private IEnumerable<ActivityNode> WorkflowNodes(WorkflowDefinition definition) =>
        AllNodes(definition).Where(n => registry.Find(n.Type) is null);

    private async Task PrepareChildrenAsync(WorkflowDefinition definition, List<string> path, CancellationToken cancellationToken)
    {
        foreach (var node in WorkflowNodes(definition).ToList())
        {
            var child = FindRegistered(node) ?? await LoadAsync(node, cancellationToken) ?? Find(node);
            if (child is null)
                continue;
            if (path.Contains(child.DefinitionId, StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException(CycleMessage([.. path, child.DefinitionId]));
            await PrepareChildrenAsync(child, [.. path, child.DefinitionId], cancellationToken);
        }
    }

    private async Task<WorkflowDefinition?> LoadAsync(ActivityNode node, CancellationToken cancellationToken)
    {
        if (store is null)
            return null;
        var stored = await FindStoredAsync(DefinitionReader.Text(node.Json["workflowDefinitionId"]) ?? node.Type, cancellationToken);
        if (stored is null || DefinitionReader.Read(stored.Json).Definition is not { } definition)
            return null;
        Add(_loaded, definition);
        return definition;
    }

    private WorkflowDefinition? FindRegistered(ActivityNode node)
    {
        foreach (var key in new[] { DefinitionReader.Text(node.Json["workflowDefinitionId"]), node.Type }.OfType<string>())
            if ((_registered.GetValueOrDefault(key) ?? _registered.GetValueOrDefault(Key(key))) is { } found)
                return found;
        return null;
    }

    private async Task<StoredWorkflowDefinition?> FindStoredAsync(string idOrName, CancellationToken cancellationToken)
    {
        var definitionId = (await store!.GetLatestAsync(idOrName, cancellationToken))?.DefinitionId
            ?? (await store.ListLatestAsync(cancellationToken)).FirstOrDefault(d => Key(d.Name).Equals(Key(idOrName), StringComparison.OrdinalIgnoreCase))?.DefinitionId;
        if (definitionId is null)
            return null;
        return await store.GetPublishedAsync(definitionId, cancellationToken) ?? await store.GetLatestAsync(definitionId, cancellationToken);
    }

    private static string CycleMessage(IReadOnlyList<string> cycle) =>
        $"The workflow definitions use each other as activities in a cycle: {string.Join(" -> ", cycle.Select(c => $"'{c}'"))}. " +
        "A workflow activity must not (indirectly) contain itself: remove one of these workflow activities.";

    // Elsa derives the activity type of a definition from its name without spaces.
    private static string Key(string name) => name.Replace(" ", "", StringComparison.Ordinal);
}
