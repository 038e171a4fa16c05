using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Json;

/// <summary>
/// Writes a <see cref="WorkflowDefinition"/> back into a copy of its <see cref="WorkflowDefinition.Document"/>: the
/// modelled parts (names, variables, inputs, activities, their input expressions and output bindings, connections,
/// the compensation activity) are updated in place and only where they changed, so every property we do not model
/// survives and an unchanged definition round-trips to an equal document. A bare definition gets Elsa's <c>$schema</c>
/// (Studio's importer keys on it); a Studio save request (<c>{"model", "publish"}</c>) keeps its shape.
/// </summary>
public static class DefinitionWriter
{
    /// <summary>Elsa 3's workflow-definition schema.</summary>
    public const string SchemaUrl = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json";

    /// <summary>The updated document. <paramref name="registry"/> supplies input type names for inputs new to the JSON.</summary>
    public static JsonObject Write(WorkflowDefinition definition, IActivityRegistry? registry = null)
    {
        var document = definition.Document.DeepClone().AsObject();
        var wrapped = document["model"] is JsonObject && document["root"] is null;
        var model = wrapped ? document["model"]!.AsObject() : document;
        if (!wrapped && DefinitionReader.Text(model["$schema"]) != SchemaUrl)
        {
            model.Remove("$schema");
            model.Insert(0, "$schema", SchemaUrl);
        }

        Set(model, "id", definition.Id, definition.Id.Length == 0);
        Set(model, "definitionId", definition.DefinitionId, definition.DefinitionId.Length == 0);
        Set(model, "name", definition.Name, definition.Name.Length == 0);
        Set(model, "description", definition.Description, definition.Description is null);
        Set(model, "version", definition.Version, definition.Version == 1 && model["version"] is null);
        Set(model, "isPublished", definition.IsPublished, !definition.IsPublished);
        Set(model, "isLatest", definition.IsLatest, definition.IsLatest);
        WriteCompensation(model, definition);

        var root = model["root"] as JsonObject ?? new JsonObject { ["type"] = DefinitionReader.FlowchartType, ["version"] = 1 };
        model["root"] = root;
        Set(root, "id", definition.Root.Id, definition.Root.Id.Length == 0);
        var flowchartVariableIds = (root["variables"] as JsonArray ?? []).Select(v => DefinitionReader.Text(v?["id"])).ToHashSet();
        if (root["variables"] is JsonArray)
            root["variables"] = WriteVariables(root["variables"], definition.Variables.Where(v => flowchartVariableIds.Contains(v.Id)));
        var workflowVariables = definition.Variables.Where(v => !flowchartVariableIds.Contains(v.Id) && !v.DeclaredInContainer).ToList();
        if (model.ContainsKey("variables") || workflowVariables.Count > 0)
            model["variables"] = WriteVariables(model["variables"], workflowVariables);
        if (model["inputs"] is JsonArray || definition.Inputs.Count > 0)
            model["inputs"] = WriteInputs(model["inputs"], definition.Inputs);
        // A root that is not a flowchart (a Sequence, one activity) is its single node: nothing to rewrite in it.
        if (definition.Root.IsActivityRoot)
            return document;
        if (root.ContainsKey("activities") || definition.Root.Activities.Count > 0)
            root["activities"] = WriteActivities(root["activities"], definition.Root.Activities, registry);
        if (root.ContainsKey("connections") || definition.Root.Connections.Count > 0)
            root["connections"] = WriteConnections(root["connections"], definition.Root.Connections);
        return document;
    }

    private static void WriteCompensation(JsonObject model, WorkflowDefinition definition)
    {
        var marked = definition.Root.Activities.FirstOrDefault(a => a.Json["customProperties"]?[DefinitionReader.IsCompensationProperty]?.GetValueKind() == System.Text.Json.JsonValueKind.True)?.Id;
        var properties = model["customProperties"] as JsonObject;
        var current = DefinitionReader.Text(properties?[DefinitionReader.CompensationActivityIdProperty]);
        if (current == definition.CompensationActivityId || (current is null && marked == definition.CompensationActivityId))
            return;
        if (definition.CompensationActivityId is null)
        {
            properties?.Remove(DefinitionReader.CompensationActivityIdProperty);
            return;
        }
        properties ??= new JsonObject();
        model["customProperties"] = properties;
        properties[DefinitionReader.CompensationActivityIdProperty] = definition.CompensationActivityId;
    }

    private static JsonArray WriteVariables(JsonNode? existing, IEnumerable<VariableDefinition> variables)
    {
        var byId = Index(existing, v => DefinitionReader.Text(v["id"]) ?? DefinitionReader.Text(v["name"]));
        return [.. variables.Select(variable =>
        {
            var json = byId.GetValueOrDefault(variable.Id) ?? new JsonObject();
            Set(json, "id", variable.Id, variable.Id == variable.Name);
            Set(json, "name", variable.Name, false);
            Set(json, "typeName", variable.TypeName, false);
            Set(json, "isArray", variable.IsArray, false);
            Set(json, "value", variable.Value?.DeepClone(), variable.Value is null);
            return (JsonNode)json;
        })];
    }

    private static JsonArray WriteInputs(JsonNode? existing, IEnumerable<WorkflowInputDefinition> inputs)
    {
        var byName = Index(existing, i => DefinitionReader.Text(i["name"]));
        return [.. inputs.Select(input =>
        {
            var json = byName.GetValueOrDefault(input.Name) ?? new JsonObject();
            Set(json, "name", input.Name, false);
            Set(json, json.ContainsKey("typeName") ? "typeName" : "type", input.TypeName, false);
            Set(json, "displayName", input.DisplayName, input.DisplayName is null);
            Set(json, "description", input.Description, input.Description is null);
            Set(json, "isRequired", input.IsRequired, !input.IsRequired);
            Set(json, "defaultValue", input.DefaultValue?.DeepClone(), input.DefaultValue is null);
            return (JsonNode)json;
        })];
    }

    private static JsonArray WriteActivities(JsonNode? existing, IEnumerable<ActivityNode> activities, IActivityRegistry? registry)
    {
        var byId = Index(existing, a => DefinitionReader.Text(a["id"]));
        return [.. activities.Select(node =>
        {
            var json = byId.Remove(node.Id, out var found) ? found : node.Json.DeepClone().AsObject();
            Set(json, "id", node.Id, false);
            Set(json, "type", node.Type, false);
            Set(json, "version", node.Version, false);
            Set(json, "name", node.Name, node.Name is null);
            WriteInputs(json, node, registry);
            WriteOutputs(json, node);
            return (JsonNode)json;
        })];
    }

    private static void WriteInputs(JsonObject json, ActivityNode node, IActivityRegistry? registry)
    {
        var removed = json.Where(p => p.Value is JsonObject o && o["expression"] is JsonObject { } e && e["type"] is not null && !node.Inputs.ContainsKey(p.Key))
            .Select(p => p.Key).ToList();
        foreach (var name in removed)
            json.Remove(name);
        foreach (var (name, expression) in node.Inputs)
        {
            if (json[name] is JsonObject property && !property.ContainsKey("expression") && !property.ContainsKey("memoryReference")
                && expression.Type == Expression.Types.Literal && DefinitionReader.Text(property["id"]) == DefinitionReader.Text(expression.Value))
                continue; // Elsa's variable-object form (SetVariable.variable) still names the same variable
            if (json[name] is not JsonObject input || input["expression"] is not JsonObject expressionJson)
            {
                var typeName = registry?.Find(node.Type)?.Inputs.FirstOrDefault(i => i.Name == name)?.TypeName ?? "Object";
                json[name] = new JsonObject { ["typeName"] = typeName, ["expression"] = new JsonObject { ["type"] = expression.Type, ["value"] = expression.Value?.DeepClone() } };
                continue;
            }
            Set(expressionJson, "type", expression.Type, false);
            Set(expressionJson, "value", expression.Value?.DeepClone(), false);
        }
    }

    private static void WriteOutputs(JsonObject json, ActivityNode node)
    {
        var unbound = json.Where(p => p.Value is JsonObject o && o["memoryReference"] is JsonObject && !node.Outputs.ContainsKey(p.Key)).Select(p => p.Key).ToList();
        foreach (var name in unbound)
            json[name]!["memoryReference"] = null;
        foreach (var (name, variableId) in node.Outputs)
        {
            var output = json[name] as JsonObject ?? new JsonObject { ["typeName"] = "Object" };
            json[name] = output;
            if (output["memoryReference"] is JsonObject reference)
                Set(reference, "id", variableId, false);
            else
                output["memoryReference"] = new JsonObject { ["id"] = variableId };
        }
    }

    private static JsonArray WriteConnections(JsonNode? existing, IEnumerable<Connection> connections)
    {
        // Reuse the JSON of an unchanged connection (keeps its form, vertices and unknown properties).
        var pool = (existing as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => (Json: c, Model: DefinitionReader.ReadConnection(c)))
            .Where(x => x.Model is not null).ToList();
        return [.. connections.Select(connection =>
        {
            var match = pool.FindIndex(x => x.Model == connection);
            if (match >= 0)
            {
                var json = pool[match].Json;
                pool.RemoveAt(match);
                return (JsonNode)json.DeepClone();
            }
            return new JsonObject
            {
                ["source"] = new JsonObject { ["activity"] = connection.SourceId, ["port"] = connection.SourcePort },
                ["target"] = new JsonObject { ["activity"] = connection.TargetId, ["port"] = connection.TargetPort },
                ["vertices"] = new JsonArray(),
            };
        })];
    }

    private static Dictionary<string, JsonObject> Index(JsonNode? array, Func<JsonObject, string?> key)
    {
        var index = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in (array as JsonArray ?? []).OfType<JsonObject>())
        {
            if (key(item) is { } k)
                index.TryAdd(k, (JsonObject)item.DeepClone());
        }
        return index;
    }

    // Writes only a change: an existing equal value is left alone and an absent default stays absent.
    private static void Set(JsonObject json, string key, JsonNode? value, bool isDefault)
    {
        if (json.TryGetPropertyValue(key, out var current))
        {
            if (!JsonNode.DeepEquals(current, value))
                json[key] = value;
        }
        else if (!isDefault)
        {
            json[key] = value;
        }
    }
}
