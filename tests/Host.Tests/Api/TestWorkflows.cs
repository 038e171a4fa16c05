using System.Text;
using System.Text.Json.Nodes;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>Elsa 3 definitions made of built-in activities, for host tests.</summary>
public static class TestWorkflows
{
    /// <summary>Running until cancelled: a Delay inside a container waits in-process, so the instance stays Running
    /// (held by the lease of the process that runs it).</summary>
    public const string Holding = """
        {"id": "hold-v1", "definitionId": "hold", "name": "Hold", "version": 1,
         "root": {"id": "seq", "type": "Elsa.Sequence", "version": 1, "activities": [
           {"id": "wait", "type": "Elsa.Delay", "version": 1, "timeSpan": {"typeName": "TimeSpan", "expression": {"type": "Literal", "value": "01:00:00"}}}
         ]}}
        """;

    /// <summary>Start → Finish: a workflow that ends at once (schedules, starts across hosts).</summary>
    public static string Quick(string definitionId = "quick-flow") =>
        Build(definitionId, [Activity("start1", "Elsa.Start", 0), Activity("finish1", "Elsa.Finish", 200)], ["start1", "finish1"]);

    /// <summary>Start → WriteLine → Delay(<paramref name="delay"/>) → WriteLine → Finish, with a VmId workflow input.</summary>
    public static string Delaying(string definitionId, string delay = "00:00:30") => Build(definitionId,
    [
        Activity("start1", "Elsa.Start", 0),
        Activity("hello1", "Elsa.WriteLine", 200, ("text", "String", "starting")),
        Activity("delay1", "Elsa.Delay", 400, ("timeSpan", "TimeSpan", delay)),
        Activity("bye1", "Elsa.WriteLine", 600, ("text", "String", "done")),
        Activity("finish1", "Elsa.Finish", 800),
    ], ["start1", "hello1", "delay1", "bye1", "finish1"]);

    /// <summary>Invalid on purpose: an unknown activity type and a connection to a missing activity.</summary>
    public static string Invalid(string definitionId) => Build(definitionId,
    [
        Activity("start1", "Elsa.Start", 0),
        Activity("oops1", "Elsa.WriteLin", 200, ("text", "String", "typo in the type")),
    ], ["start1", "oops1", "ghost1"]);

    /// <summary>Imports (and publishes) <paramref name="json"/> through the API; fails the test when the server refuses it.</summary>
    public static async Task ImportAsync(HttpClient client, string json, CancellationToken cancellationToken)
    {
        var response = await client.PostAsync("/api/definitions", new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    public static JsonObject Activity(string id, string type, int x, params (string Name, string TypeName, string Value)[] inputs)
    {
        var activity = new JsonObject
        {
            ["id"] = id,
            ["type"] = type,
            ["version"] = 1,
            ["name"] = id,
            ["metadata"] = new JsonObject { ["designer"] = new JsonObject { ["position"] = new JsonObject { ["x"] = x, ["y"] = 0 } } },
        };
        foreach (var (name, typeName, value) in inputs)
            activity[name] = new JsonObject { ["typeName"] = typeName, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
        return activity;
    }

    public static string Build(string definitionId, JsonObject[] activities, string[] chain)
    {
        var connections = new JsonArray();
        for (var i = 0; i + 1 < chain.Length; i++)
            connections.Add(new JsonObject
            {
                ["source"] = new JsonObject { ["activity"] = chain[i], ["port"] = "Done" },
                ["target"] = new JsonObject { ["activity"] = chain[i + 1], ["port"] = "In" },
                ["vertices"] = new JsonArray(),
            });
        return new JsonObject
        {
            ["$schema"] = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json",
            ["id"] = definitionId + "-v1",
            ["definitionId"] = definitionId,
            ["name"] = definitionId,
            ["version"] = 1,
            ["variables"] = new JsonArray(),
            ["inputs"] = new JsonArray(new JsonObject { ["name"] = "VmId", ["typeName"] = "String", ["isRequired"] = false }),
            ["root"] = new JsonObject
            {
                ["id"] = "flowchart1",
                ["type"] = "Elsa.Flowchart",
                ["version"] = 1,
                ["activities"] = new JsonArray([.. activities]),
                ["connections"] = connections,
            },
        }.ToJsonString();
    }
}
