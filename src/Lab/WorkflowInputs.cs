using System.Text.Json.Nodes;

namespace Elsa.Migration.Lab;

/// <summary>Edits a shipped procedure the way a site would in Studio: an activity's input set to a literal.</summary>
public static class WorkflowInputs
{
    /// <summary>Sets a literal input of an activity node in a workflow document.</summary>
    public static void SetLiteral(JsonObject workflow, string activityId, string input, string typeName, JsonNode value)
    {
        var node = workflow["root"]!["activities"]!.AsArray().SingleOrDefault(a => a!["id"]!.GetValue<string>() == activityId)?.AsObject()
            ?? throw new InvalidOperationException($"The workflow has no activity '{activityId}'.");
        node[input] = new JsonObject { ["typeName"] = typeName, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
    }
}
