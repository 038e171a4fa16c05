using System.Text.Json.Nodes;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>Builds Elsa 3 workflow-definition JSON for runtime tests (inputs as literals, connections in the current form).</summary>
public sealed class FlowJson(string definitionId)
{
    private readonly JsonArray _activities = [];
    private readonly JsonArray _connections = [];
    private readonly JsonArray _variables = [];
    private readonly JsonArray _inputs = [];
    private string? _compensation;

    public FlowJson Activity(string id, string type, params (string Name, object Value)[] inputs)
    {
        var activity = new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
            ["version"] = 1,
            ["metadata"] = new JsonObject { ["designer"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 0, ["y"] = 0 } } },
        };
        foreach (var (name, value) in inputs)
        {
            activity[name] = value is JsonObject expression
                ? new JsonObject { ["typeName"] = "Object", ["expression"] = expression }
                : new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) } };
        }
        _activities.Add(activity);
        return this;
    }

    public FlowJson Connect(string source, string port, string target)
    {
        _connections.Add(new JsonObject
        {
            ["source"] = new JsonObject { ["activity"] = source, ["port"] = port },
            ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
            ["vertices"] = new JsonArray(),
        });
        return this;
    }

    public FlowJson Chain(params string[] ids)
    {
        for (var i = 0; i + 1 < ids.Length; i++)
            Connect(ids[i], "Done", ids[i + 1]);
        return this;
    }

    public FlowJson Variable(string name, string typeName, object? value)
    {
        _variables.Add(new JsonObject { ["id"] = "var-" + name, ["name"] = name, ["typeName"] = typeName, ["isArray"] = false, ["value"] = value is null ? null : JsonValue.Create(value) });
        return this;
    }

    public FlowJson Input(string name, string typeName, bool required)
    {
        _inputs.Add(new JsonObject { ["name"] = name, ["typeName"] = typeName, ["isRequired"] = required });
        return this;
    }

    public FlowJson Compensation(string activityId)
    {
        _compensation = activityId;
        return this;
    }

    /// <summary>A JavaScript expression (for inputs).</summary>
    public static JsonObject Js(string script) => new() { ["type"] = "JavaScript", ["value"] = script };

    public string Build()
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json",
            ["id"] = definitionId + "-v1",
            ["definitionId"] = definitionId,
            ["name"] = definitionId,
            ["version"] = 1,
            ["variables"] = _variables.DeepClone(),
            ["inputs"] = _inputs.DeepClone(),
            ["root"] = new JsonObject
            {
                ["id"] = "flowchart",
                ["type"] = "Elsa.Flowchart",
                ["version"] = 1,
                ["activities"] = _activities.DeepClone(),
                ["connections"] = _connections.DeepClone(),
            },
        };
        if (_compensation is not null)
            root["customProperties"] = new JsonObject { ["compensationActivityId"] = _compensation };
        return root.ToJsonString();
    }
}
