using System.Text.Json.Nodes;
using Elsa.Migration.Lab;

namespace Elsa.Migration.Host.Tests.Evacuation;

/// <summary>The shipped <c>workflows/evacuate-node.json</c>, edited as a site would, and what the host tests run it with
/// when no lab is needed: a site whose VMs are defined but not running, and a stand-in migration procedure.</summary>
internal static class EvacuationWorkflows
{
    public static string Shipped() => File.ReadAllText(MigrationLab.FindRepositoryFile("workflows/evacuate-node.json"));

    /// <summary>The shipped procedure started by an <c>Elsa.Cron</c> instead of <c>Elsa.Start</c>, with defaults for the
    /// inputs a trigger cannot give (a trigger's instance gets the definition's defaults).</summary>
    public static string WithCron(string cron, IReadOnlyDictionary<string, string> defaults)
    {
        var json = JsonNode.Parse(Shipped())!.AsObject();
        var start = json["root"]!["activities"]!.AsArray().OfType<JsonObject>().Single(a => a["type"]!.GetValue<string>() == "Elsa.Start");
        start["type"] = "Elsa.Cron";
        start["cronExpression"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = cron } };
        foreach (var input in json["inputs"]!.AsArray().OfType<JsonObject>())
            if (defaults.TryGetValue(input["name"]!.GetValue<string>(), out var value))
                input["defaultValue"] = value;
        return json.ToJsonString();
    }

    /// <summary>
    /// A procedure with a migration's inputs (VmId, SourceNode, TargetNode, Site) that moves nothing: it writes a line and
    /// waits <paramref name="delay"/>. It stands in for live-migrate where the test is about the evacuation's admission.
    /// </summary>
    public static string StandInMigration(string definitionId, string delay = "00:00:00") => new JsonObject
    {
        ["id"] = definitionId + "-v1",
        ["definitionId"] = definitionId,
        ["name"] = definitionId,
        ["version"] = 1,
        ["inputs"] = new JsonArray([.. new[] { "VmId", "SourceNode", "TargetNode", "Site" }
            .Select(n => (JsonNode)new JsonObject { ["name"] = n, ["typeName"] = "String", ["isRequired"] = n != "Site" })]),
        ["root"] = new JsonObject
        {
            ["id"] = "flow", ["type"] = "Elsa.Flowchart", ["version"] = 1,
            ["activities"] = new JsonArray(
                new JsonObject { ["id"] = "start", ["type"] = "Elsa.Start", ["version"] = 1 },
                new JsonObject
                {
                    ["id"] = "say", ["type"] = "Elsa.WriteLine", ["version"] = 1,
                    ["text"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject
                        { ["type"] = "JavaScript", ["value"] = "'moving ' + getVmId() + ' from ' + getSourceNode() + ' to ' + getTargetNode()" } },
                },
                new JsonObject
                {
                    ["id"] = "wait", ["type"] = "Elsa.Delay", ["version"] = 1,
                    ["timeSpan"] = new JsonObject { ["typeName"] = "TimeSpan", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = delay } },
                }),
            ["connections"] = new JsonArray(Connection("start", "say"), Connection("say", "wait")),
        },
    }.ToJsonString();

    /// <summary>Two local nodes named like the lab's under <paramref name="root"/> (nothing runs there) and the VMs, defined only.</summary>
    public static JsonObject Site(string root, params string[] vmIds) => new()
    {
        ["nodes"] = new JsonArray(Node("lab-a", root), Node("lab-b", root)),
        ["vms"] = new JsonArray([.. vmIds.Select(id => (JsonNode)new JsonObject
        {
            ["id"] = id,
            ["qemu"] = new JsonObject { ["machine"] = "pc", ["memoryMiB"] = 128, ["cpus"] = 1, ["accel"] = "tcg" },
            ["disks"] = new JsonArray(new JsonObject
            {
                ["id"] = "drive0", ["deviceId"] = "vd0", ["nodeName"] = "disk0", ["kind"] = "local", ["storage"] = "local",
                ["volume"] = id + "-disk-0", ["sizeBytes"] = 1 << 20,
            }),
        })]),
    };

    private static JsonObject Node(string name, string root) => new()
    {
        ["name"] = name,
        ["transport"] = new JsonObject { ["kind"] = "local" },
        ["qmpSocketDir"] = $"{root}/{name}",
        ["storages"] = new JsonArray(new JsonObject { ["id"] = "local", ["layout"] = "directory", ["mountpoint"] = $"{root}/{name}/disks" }),
    };

    private static JsonObject Connection(string from, string to) => new()
    {
        ["source"] = new JsonObject { ["activity"] = from, ["port"] = "Done" },
        ["target"] = new JsonObject { ["activity"] = to, ["port"] = "In" },
    };
}
