using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Engine.Json;

/// <summary>What <see cref="DefinitionReader"/> made of a JSON text: the definition (null when unreadable), structural problems and the layout.</summary>
public sealed record DefinitionReadResult(WorkflowDefinition? Definition, IReadOnlyList<ValidationProblem> Problems, DefinitionLayout Layout);

/// <summary>
/// Reads Elsa 3 workflow-definition JSON into the model without judging it (that is <see cref="WorkflowValidator"/>'s
/// job), tolerating everything it can so that every problem is reported at once. Accepts a bare definition (Studio's
/// export, <c>$schema</c> at the top) and Studio's save request <c>{"model": {...}, "publish": false}</c>; connections
/// in the current form (<c>source {activity, port}</c>) and the older one (<c>source</c> id + <c>sourcePort</c>).
/// The compensation activity is named by <c>customProperties.compensationActivityId</c> of the definition, or is the
/// activity whose own <c>customProperties.isCompensation</c> is true.
/// </summary>
public static class DefinitionReader
{
    /// <summary>The flowchart root type.</summary>
    public const string FlowchartType = "Elsa.Flowchart";

    /// <summary>The definition custom property naming the compensation activity.</summary>
    public const string CompensationActivityIdProperty = "compensationActivityId";

    /// <summary>The activity custom property that marks it as the compensation activity.</summary>
    public const string IsCompensationProperty = "isCompensation";

    // Activity properties that are not inputs or outputs.
    private static readonly HashSet<string> StructuralProperties =
        ["id", "nodeId", "name", "type", "version", "customProperties", "metadata", "canStartWorkflow", "runAsynchronously", "source", "activities", "connections", "variables"];

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Reads <paramref name="json"/>.</summary>
    public static DefinitionReadResult Read(string json)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            var problem = new ValidationProblem(ProblemCodes.JsonSyntax,
                $"The file is not valid JSON: {StripPosition(e.Message)} Fix the syntax at that position.", e.Path is { Length: > 1 } p ? p.TrimStart('$', '.') : "(document)",
                (int?)e.LineNumber + 1, (int?)e.BytePositionInLine + 1);
            return new DefinitionReadResult(null, [problem], new DefinitionLayout());
        }

        var map = new Lazy<JsonSourceMap>(() => JsonSourceMap.Build(json));
        if (document is not JsonObject top)
        {
            var layout = new DefinitionLayout { Locate = p => map.Value.Find(p) };
            return new DefinitionReadResult(null, [layout.Problem(ProblemCodes.MissingRoot, "The JSON is not an object; expected an Elsa 3 workflow definition.", "(document)")], layout);
        }
        var wrapped = top["model"] is JsonObject && top["root"] is null;
        var model = wrapped ? (JsonObject)top["model"]! : top;
        return ReadModel(top, model, new DefinitionLayout { DefinitionPath = wrapped ? "model" : "", Locate = p => map.Value.Find(p) });
    }

    private static DefinitionReadResult ReadModel(JsonObject document, JsonObject model, DefinitionLayout layout)
    {
        var problems = new List<ValidationProblem>();
        var root = model["root"] as JsonObject;
        var rootType = Text(root?["type"]);
        if (root is not null && rootType is not null && rootType != FlowchartType)
            return ReadActivityRoot(document, model, root, layout, problems);
        if (root is null || (rootType is null && root["activities"] is null))
        {
            var what = root is null ? "has no \"root\" activity" : "has a root without a type";
            problems.Add(layout.Problem(ProblemCodes.MissingRoot,
                $"The definition {what}; expected \"root\": {{\"type\": \"{FlowchartType}\", \"activities\": [...], \"connections\": [...]}}.",
                layout.PathOf("root")));
            return new DefinitionReadResult(null, problems, layout);
        }

        var indexes = new Dictionary<ActivityNode, int>(ReferenceEqualityComparer.Instance);
        var activities = new List<ActivityNode>();
        var activityArray = root["activities"] as JsonArray ?? [];
        for (var i = 0; i < activityArray.Count; i++)
        {
            var path = layout.PathOf($"root.activities[{i}]");
            if (ReadActivity(activityArray[i], path, layout, problems) is { } node)
            {
                activities.Add(node);
                indexes[node] = i;
            }
        }

        var connections = new List<Connection>();
        var connectionIndexes = new List<int>();
        var connectionArray = root["connections"] as JsonArray ?? [];
        for (var i = 0; i < connectionArray.Count; i++)
        {
            if (ReadConnection(connectionArray[i], layout.PathOf($"root.connections[{i}]"), layout, problems) is { } connection)
            {
                connections.Add(connection);
                connectionIndexes.Add(i);
            }
        }

        CheckDefinitionId(model, layout, problems);
        var definition = NewDefinition(model, root, document, activities,
            new Flowchart(Text(root["id"]) ?? "", activities, connections) { Json = root });
        return new DefinitionReadResult(definition, problems,
            new DefinitionLayout { DefinitionPath = layout.DefinitionPath, Locate = layout.Locate, ActivityIndexes = indexes, ConnectionIndexes = connectionIndexes });
    }

    // Elsa runs a Sequence (or any activity) as the root; here it is a flowchart of that one node.
    private static DefinitionReadResult ReadActivityRoot(JsonObject document, JsonObject model, JsonObject root, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        var node = ReadActivity(root, layout.PathOf("root"), layout, problems);
        List<ActivityNode> activities = node is null ? [] : [node];
        CheckDefinitionId(model, layout, problems);
        var definition = NewDefinition(model, root, document, activities,
            new Flowchart(Text(root["id"]) ?? "", activities, []) { Json = root, IsActivityRoot = true });
        return new DefinitionReadResult(definition, problems,
            new DefinitionLayout { DefinitionPath = layout.DefinitionPath, Locate = layout.Locate, RootIsActivity = true });
    }

    private static void CheckDefinitionId(JsonObject model, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        var definitionId = Text(model["definitionId"]) ?? Text(model["id"]) ?? "";
        if (!DefinitionIds.IsValid(definitionId))
            problems.Add(layout.Problem(ProblemCodes.InvalidDefinitionId, DefinitionIds.Problem(definitionId), layout.PathOf("definitionId")));
    }

    private static WorkflowDefinition NewDefinition(JsonObject model, JsonObject root, JsonObject document, List<ActivityNode> activities, Flowchart flowchart)
    {
        var id = Text(model["id"]) ?? Text(model["definitionId"]) ?? "";
        var definitionId = Text(model["definitionId"]) ?? id;
        return new WorkflowDefinition
        {
            Id = id,
            DefinitionId = definitionId,
            Name = Text(model["name"]) ?? definitionId,
            Description = Text(model["description"]),
            Version = Int(model["version"]) ?? 1,
            IsPublished = Bool(model["isPublished"]) ?? false,
            IsLatest = Bool(model["isLatest"]) ?? true,
            Variables = [.. ReadVariables(model["variables"]), .. ReadVariables(root["variables"]), .. ContainerVariables(root)],
            Inputs = [.. ReadInputs(model["inputs"])],
            Outputs = [.. ReadNames(model["outputs"])],
            Outcomes = [.. ReadNames(model["outcomes"])],
            Root = flowchart,
            CompensationActivityId = Text(model["customProperties"]?["compensationActivityId"])
                ?? activities.FirstOrDefault(a => Bool(a.Json["customProperties"]?[IsCompensationProperty]) == true)?.Id,
            Document = document,
        };
    }

    /// <summary>An activity node read from its JSON object (a child inside a container); null when it has no id or type.</summary>
    internal static ActivityNode? ReadActivityNode(JsonObject json) => ReadActivity(json, "", new DefinitionLayout(), []);

    // outputs[] and outcomes[]: names (objects with "name", or plain strings for outcomes).
    private static IEnumerable<string> ReadNames(JsonNode? json) =>
        (json as JsonArray ?? []).Select(n => Text(n) ?? Text(n?["name"])).Where(n => !string.IsNullOrEmpty(n)).Select(n => n!);

    private static ActivityNode? ReadActivity(JsonNode? json, string path, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        if (json is not JsonObject activity)
        {
            problems.Add(layout.Problem(ProblemCodes.InvalidActivity, "An activity must be a JSON object with \"id\" and \"type\".", path));
            return null;
        }
        var id = Text(activity["id"]);
        var type = Text(activity["type"]);
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(type))
        {
            var missing = string.IsNullOrWhiteSpace(id) ? "\"id\"" : "\"type\"";
            problems.Add(layout.Problem(ProblemCodes.InvalidActivity, $"The activity has no {missing}; every activity needs a unique id and a type such as \"Elsa.WriteLine\".", path));
            return null;
        }

        var inputs = new Dictionary<string, Expression>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in activity)
        {
            if (StructuralProperties.Contains(name) || value is not JsonObject property)
                continue;
            if (property.TryGetPropertyValue("expression", out var expression))
            {
                if (expression is JsonObject e && Text(e["type"]) is { } expressionType)
                    inputs[name] = new Expression(expressionType, e["value"]?.DeepClone());
            }
            else if (property["memoryReference"] is null && !property.ContainsKey("type") && Text(property["id"]) is { } variableId
                     && (property.ContainsKey("name") || property.ContainsKey("typeName")))
            {
                // Elsa writes Variable-typed properties (SetVariable.variable) as the variable itself.
                inputs[name] = new Expression(Expression.Types.Literal, JsonValue.Create(variableId));
            }
            if (property["memoryReference"] is JsonObject reference && Text(reference["id"]) is { Length: > 0 } target)
                outputs[name] = target;
        }
        return new ActivityNode(id, type, Int(activity["version"]) ?? 1, Text(activity["name"]), inputs, outputs, activity);
    }

    private static Connection? ReadConnection(JsonNode? json, string path, DefinitionLayout layout, List<ValidationProblem> problems)
    {
        if (ReadConnection(json) is { } connection)
            return connection;
        problems.Add(layout.Problem(ProblemCodes.InvalidConnection,
            "A connection needs a source and a target: {\"source\": {\"activity\": ID, \"port\": \"Done\"}, \"target\": {\"activity\": ID, \"port\": \"In\"}}.", path));
        return null;
    }

    /// <summary>A connection in the current form or the older one (<c>source</c>/<c>target</c> ids, <c>sourcePort</c>/<c>targetPort</c>); null when it has no source or target.</summary>
    internal static Connection? ReadConnection(JsonNode? json)
    {
        var connection = json as JsonObject;
        var (source, sourcePort) = End(connection?["source"], connection?["sourcePort"], Outcomes.Done);
        var (target, targetPort) = End(connection?["target"], connection?["targetPort"], "In");
        return string.IsNullOrWhiteSpace(source) || string.IsNullOrWhiteSpace(target) ? null : new Connection(source, sourcePort, target, targetPort);

        static (string? Id, string Port) End(JsonNode? end, JsonNode? olderPort, string defaultPort) => end switch
        {
            JsonObject o => (Text(o["activity"]), Text(o["port"]) ?? defaultPort),
            _ => (Text(end), Text(olderPort) ?? defaultPort),
        };
    }

    // Variables declared on containers inside the root (a Sequence's or a nested flowchart's "variables"): Elsa scopes
    // them to the container; here they are workflow variables (names must then be unique in the workflow).
    private static IEnumerable<VariableDefinition> ContainerVariables(JsonObject root) =>
        ActivityTree.Descendants(root, "root").Skip(1)
            .SelectMany(d => ReadVariables(d.Activity["variables"]))
            .Select(v => v with { DeclaredInContainer = true });

    private static IEnumerable<VariableDefinition> ReadVariables(JsonNode? json) =>
        (json as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => Text(v["id"]) is not null || Text(v["name"]) is not null)
            .Select(v => new VariableDefinition(
                Text(v["id"]) ?? Text(v["name"])!,
                Text(v["name"]) ?? Text(v["id"])!,
                Text(v["typeName"]) ?? "Object",
                Bool(v["isArray"]) ?? false,
                v["value"]?.DeepClone()));

    private static IEnumerable<WorkflowInputDefinition> ReadInputs(JsonNode? json) =>
        (json as JsonArray ?? []).OfType<JsonObject>()
            .Where(i => Text(i["name"]) is not null)
            .Select(i => new WorkflowInputDefinition(
                Text(i["name"])!,
                Text(i["typeName"]) ?? Text(i["type"]) ?? "Object",
                Text(i["displayName"]),
                Text(i["description"]),
                Bool(i["isRequired"]) ?? false,
                i["defaultValue"]?.DeepClone()));

    internal static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int? Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i
        : node is JsonValue s && s.GetValueKind() == JsonValueKind.Number ? (int)s.GetValue<double>()
        : null;

    private static bool? Bool(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    // JsonException messages end with "LineNumber: 3 | BytePositionInLine: 7."; the problem carries those as numbers.
    private static string StripPosition(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd();
    }
}
