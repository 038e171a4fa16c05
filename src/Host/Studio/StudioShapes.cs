using System.Globalization;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Host.Studio;

/// <summary>
/// Elsa Studio 3.8.2's JSON shapes for definitions (see src/Host/Studio/README.md): list envelopes, version ids, node ids
/// and the HATEOAS links that decide whether Studio lets the operator edit.
/// </summary>
public static class StudioShapes
{
    /// <summary>Elsa's node id of the workflow itself; the root's node id is <c>Workflow1:{root id}</c>.</summary>
    public const string WorkflowNodeId = "Workflow1";

    /// <summary><c>ListResponse&lt;T&gt;</c>: <c>{items, count}</c>.</summary>
    public static JsonObject Items(JsonArray items) => new() { ["items"] = items, ["count"] = items.Count };

    /// <summary><c>PagedListResponse&lt;T&gt;</c>: <c>{items, totalCount, links?}</c> (not interchangeable with <see cref="Items"/>).</summary>
    public static JsonObject Paged(JsonArray items, int totalCount, JsonArray? links = null)
    {
        var json = new JsonObject { ["items"] = items, ["totalCount"] = totalCount };
        if (links is not null)
            json["links"] = links;
        return json;
    }

    /// <summary>The id of one version of a definition (Elsa's <c>WorkflowDefinition.Id</c>): <c>{definitionId}:v{version}</c>.</summary>
    public static string VersionId(string definitionId, int version) => $"{definitionId}:v{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <see cref="VersionId"/>; false for anything else.</summary>
    public static bool TryParseVersionId(string versionId, out string definitionId, out int version)
    {
        var at = versionId.LastIndexOf(":v", StringComparison.Ordinal);
        definitionId = at > 0 ? versionId[..at] : "";
        version = 0;
        return at > 0 && int.TryParse(versionId.AsSpan(at + 2), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    /// <summary>Sets every activity's <c>nodeId</c> to <c>{parent nodeId}:{id}</c> (Studio never computes them and its viewer
    /// crashes without them); called on every save because Studio sends new activities without one.</summary>
    public static void AssignNodeIds(JsonObject? activity, string parentNodeId = WorkflowNodeId)
    {
        if (activity is null || activity["id"]?.GetValue<string>() is not { } id)
            return;
        var nodeId = parentNodeId + ":" + id;
        activity["nodeId"] = nodeId;
        if (activity["activities"] is JsonArray children)
            foreach (var child in children)
                AssignNodeIds(child as JsonObject, nodeId);
    }

    /// <summary>The full definition Studio edits: the stored document plus the facts Studio dereferences and the links.</summary>
    public static JsonObject Definition(StoredWorkflowDefinition stored)
    {
        var json = JsonNode.Parse(stored.Json) as JsonObject ?? [];
        json["id"] = VersionId(stored.DefinitionId, stored.Version);
        json["definitionId"] = stored.DefinitionId;
        json["name"] ??= stored.Name;
        json["version"] = stored.Version;
        json["isLatest"] = stored.IsLatest;
        json["isPublished"] = stored.IsPublished;
        json["createdAt"] = stored.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        json["toolVersion"] ??= "3.8.2.0";
        json["materializerName"] = "Json";
        json["providerName"] = "Default";
        // Studio dereferences these without null checks.
        foreach (var array in new[] { "variables", "inputs", "outputs", "outcomes" })
            if (json[array] is not JsonArray)
                json[array] = new JsonArray();
        foreach (var obj in new[] { "customProperties", "options" })
            if (json[obj] is not JsonObject)
                json[obj] = new JsonObject();
        json["isReadonly"] = false;
        json["isSystem"] = false;
        StudioServedForm.Apply(json["root"] as JsonObject);
        AssignNodeIds(json["root"] as JsonObject);
        json["links"] = ItemLinks(stored.DefinitionId);
        return json;
    }

    /// <summary>A row of the definition list.</summary>
    public static JsonObject Summary(StoredWorkflowDefinition stored)
    {
        var document = JsonNode.Parse(stored.Json) as JsonObject;
        return new JsonObject
        {
            ["id"] = VersionId(stored.DefinitionId, stored.Version),
            ["definitionId"] = stored.DefinitionId,
            ["name"] = stored.Name,
            ["description"] = document?["description"]?.DeepClone(),
            ["version"] = stored.Version,
            ["isLatest"] = stored.IsLatest,
            ["isPublished"] = stored.IsPublished,
            ["createdAt"] = stored.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            ["materializerName"] = "Json",
            ["isMaterializerAvailable"] = true,
            ["links"] = ItemLinks(stored.DefinitionId),
        };
    }

    /// <summary>The save/publish answer: <c>{workflowDefinition, alreadyPublished, consumingWorkflowCount}</c>.</summary>
    public static JsonObject SaveResponse(StoredWorkflowDefinition stored, bool alreadyPublished) => new()
    {
        ["workflowDefinition"] = Definition(stored),
        ["alreadyPublished"] = alreadyPublished,
        ["consumingWorkflowCount"] = 0,
    };

    /// <summary>Studio goes read-only for a definition without a <c>publish</c> link; only <c>rel</c> is read.</summary>
    public static JsonArray ItemLinks(string definitionId)
    {
        var d = Uri.EscapeDataString(definitionId);
        return
        [
            Link($"/workflow-definitions/by-definition-id/{d}", "self", "GET"),
            Link($"/workflow-definitions/{d}/execute", "execute", "POST"),
            Link($"/workflow-definitions/{d}/publish", "publish", "POST"),
            Link($"/workflow-definitions/{d}/retract", "retract", "POST"),
            Link($"/workflow-definitions/{d}", "delete", "DELETE"),
        ];
    }

    /// <summary>Without <c>bulk-publish</c> the whole definition list goes read-only.</summary>
    public static JsonArray ListLinks() =>
    [
        Link("/workflow-definitions", "self", "GET"),
        Link("/bulk-actions/delete/workflow-definitions/by-definition-id", "bulk-delete-by-definition-id", "POST"),
        Link("/bulk-actions/publish/workflow-definitions/by-definition-ids", "bulk-publish", "POST"),
        Link("/bulk-actions/retract/workflow-definitions/by-definition-ids", "bulk-retract", "POST"),
        Link("/workflow-definitions", "create", "POST"),
    ];

    /// <summary>A 400 that Studio (Refit) shows as validation errors: problem+json with <c>errors[].errorMessage</c>.</summary>
    public static IResult ValidationErrors(IEnumerable<string> messages) => Results.Json(
        new JsonObject
        {
            ["title"] = "The workflow definition is not valid",
            ["status"] = 400,
            ["errors"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject { ["errorMessage"] = m })]),
        },
        statusCode: StatusCodes.Status400BadRequest, contentType: "application/problem+json");

    private static JsonObject Link(string href, string rel, string method) => new() { ["href"] = href, ["rel"] = rel, ["method"] = method };
}
