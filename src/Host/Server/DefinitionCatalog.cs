using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Server;

/// <summary>What a save, import or publish decided: the stored version, or every problem found (nothing changed).</summary>
public sealed record DefinitionChange(StoredWorkflowDefinition? Stored, IReadOnlyList<ValidationProblem> Problems, bool AlreadyPublished = false)
{
    public bool Succeeded => Stored is not null && Problems.Count == 0;
}

/// <summary>
/// Definitions as the host handles them, for Studio, the REST API and the CLI alike: imports and publishing validate
/// fully (nothing is stored or published when a problem is found); Studio's auto-save stores drafts that merely parse,
/// because an operator mid-edit has, say, an activity whose required input is still empty.
/// </summary>
public sealed class DefinitionCatalog(IWorkflowDefinitionStore store, IWorkflowDefinitionLoader loader,
    WorkflowActivityResolver workflows, IDefinitionTriggerCheck triggers)
{
    /// <summary>Validates and stores <paramref name="json"/> as a new draft version; publishes it when asked.</summary>
    public async Task<DefinitionChange> ImportAsync(string json, bool publish, CancellationToken cancellationToken)
    {
        var problems = await ValidateAsync(json, cancellationToken);
        if (problems.Count > 0)
            return new DefinitionChange(null, problems);
        var definition = loader.Load(json);
        var stored = await store.SaveDraftAsync(definition.DefinitionId, definition.Name, Normalize(json), cancellationToken);
        if (publish)
            stored = await store.PublishAsync(definition.DefinitionId, stored.Version, cancellationToken);
        return new DefinitionChange(stored, []);
    }

    /// <summary>Stores a draft as Studio sends it (it must parse; it need not validate).</summary>
    public async Task<DefinitionChange> SaveDraftAsync(JsonObject model, CancellationToken cancellationToken)
    {
        model.Remove("links");
        var json = model.ToJsonString();
        try
        {
            var draft = loader.LoadDraft(json);
            return new DefinitionChange(await store.SaveDraftAsync(draft.DefinitionId, draft.Name, json, cancellationToken), []);
        }
        catch (WorkflowValidationException e)
        {
            return new DefinitionChange(null, e.Problems);
        }
    }

    /// <summary>Validates the latest version and publishes it; refuses (with every problem) when it is not valid.</summary>
    public async Task<DefinitionChange> PublishLatestAsync(string definitionId, CancellationToken cancellationToken)
    {
        var latest = await store.GetLatestAsync(definitionId, cancellationToken);
        if (latest is null)
            return new DefinitionChange(null, [new ValidationProblem("not-found", $"No workflow definition '{definitionId}'.", definitionId)]);
        if (latest.IsPublished)
            return new DefinitionChange(latest, [], AlreadyPublished: true);
        var problems = await ValidateAsync(latest.Json, cancellationToken);
        if (problems.Count > 0)
            return new DefinitionChange(null, problems);
        return new DefinitionChange(await store.PublishAsync(definitionId, latest.Version, cancellationToken), []);
    }

    /// <summary>Validation for import and publish: the workflows it uses as activities are loaded first (a cycle between
    /// definitions is refused), and a start trigger must be schedulable (a cron that never fires is refused).</summary>
    private async Task<IReadOnlyList<ValidationProblem>> ValidateAsync(string json, CancellationToken cancellationToken)
    {
        try
        {
            await workflows.PrepareAsync(json, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return [new ValidationProblem(ProblemCodes.WorkflowCycle, e.Message, "root")];
        }
        var problems = loader.Validate(json).ToList();
        if (DefinitionReader.Read(json).Definition is { } definition && workflows.FindCycle(definition) is { } cycle)
            problems.Add(new ValidationProblem(ProblemCodes.WorkflowCycle,
                $"The workflow definitions use each other as activities in a cycle: {string.Join(" -> ", cycle)}; remove one of these workflow activities.", "root"));
        if (triggers.Check(json) is { } trigger)
            problems.Add(trigger);
        return problems;
    }

    /// <summary>Every version of every definition (Studio filters by version options, ids and definition ids).</summary>
    public async Task<IReadOnlyList<StoredWorkflowDefinition>> ListAllVersionsAsync(CancellationToken cancellationToken)
    {
        var all = new List<StoredWorkflowDefinition>();
        foreach (var latest in await store.ListLatestAsync(cancellationToken))
            all.AddRange(await store.ListVersionsAsync(latest.DefinitionId, cancellationToken));
        return all;
    }

    /// <summary>The latest version as Elsa 3 JSON (indented), or a given version; null when there is none.</summary>
    public async Task<string?> ExportAsync(string definitionId, int? version, CancellationToken cancellationToken)
    {
        var stored = version is null
            ? await store.GetLatestAsync(definitionId, cancellationToken)
            : await store.GetVersionAsync(definitionId, version.Value, cancellationToken);
        if (stored is null)
            return null;
        // Studio's saves carry no $schema, but Elsa's importer (and Studio's) keys on it: an export always has it, first.
        var document = (JsonObject)JsonNode.Parse(stored.Json)!;
        var export = new JsonObject { ["$schema"] = SchemaUrl };
        foreach (var (key, value) in document.ToList())
        {
            document.Remove(key);
            if (key != "$schema")
                export[key] = value;
        }
        return export.ToJsonString(Indented);
    }

    /// <summary>The <c>$schema</c> of Elsa 3 workflow-definition exports.</summary>
    public const string SchemaUrl = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json";

    public IWorkflowDefinitionStore Store => store;

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();
}
