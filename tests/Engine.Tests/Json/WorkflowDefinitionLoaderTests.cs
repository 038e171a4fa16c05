using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Tests.Json;

public sealed class WorkflowDefinitionLoaderTests
{
    private readonly WorkflowDefinitionLoader _loader = new(TestRegistry.Create(), new ExpressionEvaluator());
    private readonly string _studioSaved = TestRegistry.Sample("Json", "studio-saved-definition.json");

    [Fact]
    public void Export_WhenStudioSavedDefinitionIsLoaded_ShouldRoundTripToAnEqualDocument()
    {
        var definition = _loader.Load(_studioSaved);

        var exported = _loader.Export(definition);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(_studioSaved), JsonNode.Parse(exported)), exported);
    }

    [Fact]
    public void Load_WhenStudioSavedDefinition_ShouldReadTheModelInsideTheSaveRequest()
    {
        var definition = _loader.Load(_studioSaved);

        Assert.Equal("vm-migration-v1", definition.Id);
        Assert.Equal("vm-migration", definition.DefinitionId);
        Assert.Equal("VM live migration (site A)", definition.Name);
        var variable = Assert.Single(definition.Variables);
        Assert.Equal(("v-vmname", "VmName", "String"), (variable.Id, variable.Name, variable.TypeName));
        Assert.Equal(["addBitmap1", "waitConv1", "zfsRepl1", "8926422ecb4dd96b"], definition.Root.Activities.Select(a => a.Id));
        var addBitmap = definition.Root.Activities[0];
        Assert.Equal(new Expression("JavaScript", JsonValue.Create("getVmName()")), addBitmap.Inputs["vmName"], ExpressionComparer.Instance);
        Assert.Equal("scsi0", addBitmap.Inputs["disk"].Value!.GetValue<string>());
        Assert.Contains(new Connection("waitConv1", "Converged", "8926422ecb4dd96b", "In"), definition.Root.Connections);
        Assert.Equal(3, definition.Root.Connections.Count);
        Assert.Equal("addBitmap1", FlowchartStart.Find(definition, TestRegistry.Create())?.Id);
    }

    [Fact]
    public void Export_WhenStudioSavedDefinitionIsLoaded_ShouldKeepEveryUnknownProperty()
    {
        var exported = JsonNode.Parse(_loader.Export(_loader.Load(_studioSaved)))!;

        Assert.False(exported["publish"]!.GetValue<bool>());
        Assert.Equal("Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core", exported["model"]!["variables"]![0]!["storageDriverTypeName"]!.GetValue<string>());
        Assert.Equal(212.046875, exported["model"]!["root"]!["activities"]![0]!["metadata"]!["designer"]!["size"]!["width"]!.GetValue<double>());
        Assert.True(exported["model"]!["root"]!["activities"]![2]!.AsObject().ContainsKey("dataset"));
        Assert.Null(exported["model"]!["root"]!["activities"]![2]!["dataset"]!["memoryReference"]);
        Assert.Equal("3.8.2.0", exported["model"]!["toolVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Export_WhenAnInputAndAConnectionChange_ShouldWriteThemAndKeepTheRest()
    {
        var definition = _loader.Load(_studioSaved);
        var zfs = definition.Root.Activities.Single(a => a.Id == "zfsRepl1");
        var changedZfs = zfs with { Inputs = new Dictionary<string, Expression>(zfs.Inputs) { ["targetHost"] = Expression.Literal("pve-c") } };
        var changed = new WorkflowDefinition
        {
            Id = definition.Id,
            DefinitionId = definition.DefinitionId,
            Name = "Renamed",
            Variables = definition.Variables,
            Root = definition.Root with
            {
                Activities = [.. definition.Root.Activities.Select(a => a.Id == "zfsRepl1" ? changedZfs : a)],
                Connections = [.. definition.Root.Connections, new Connection("zfsRepl1", "Failed", "8926422ecb4dd96b")],
            },
            Version = definition.Version,
            IsLatest = definition.IsLatest,
            Document = definition.Document,
        };

        var exported = JsonNode.Parse(_loader.Export(changed))!["model"]!;

        Assert.Equal("Renamed", exported["name"]!.GetValue<string>());
        var zfsJson = exported["root"]!["activities"]![2]!;
        Assert.Equal("pve-c", zfsJson["targetHost"]!["expression"]!["value"]!.GetValue<string>());
        Assert.Equal("String", zfsJson["targetHost"]!["typeName"]!.GetValue<string>());
        Assert.Equal(-120, zfsJson["metadata"]!["designer"]!["position"]!["x"]!.GetValue<double>());
        var added = exported["root"]!["connections"]![3]!;
        Assert.Equal("Failed", added["source"]!["port"]!.GetValue<string>());
        Assert.Equal("In", added["target"]!["port"]!.GetValue<string>());
        Assert.Equal("pve-c", _loader.Load(exported.ToJsonString()).Root.Activities[2].Inputs["targetHost"].Value!.GetValue<string>());
    }

    [Fact]
    public void Export_WhenTheDefinitionIsBare_ShouldKeepOrAddElsasSchema()
    {
        var model = JsonNode.Parse(_studioSaved)!["model"]!.AsObject();
        var withSchema = model.DeepClone().AsObject();
        withSchema.Insert(0, "$schema", DefinitionWriter.SchemaUrl);

        var roundTripped = JsonNode.Parse(_loader.Export(_loader.Load(withSchema.ToJsonString())));
        var added = JsonNode.Parse(_loader.Export(_loader.Load(model.ToJsonString())));

        Assert.True(JsonNode.DeepEquals(withSchema, roundTripped));
        Assert.Equal(DefinitionWriter.SchemaUrl, added!["$schema"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(withSchema, added));
    }

    [Fact]
    public void Load_WhenConnectionsUseTheOlderForm_ShouldReadThemAndExportThemUnchanged()
    {
        const string json = """
        {"id":"old","definitionId":"old","name":"Old form","root":{"type":"Elsa.Flowchart","id":"f","activities":[
          {"id":"start","type":"Elsa.Start","version":1},
          {"id":"decide","type":"Elsa.FlowDecision","version":1,"condition":{"typeName":"Boolean","expression":{"type":"Literal","value":"true"}}},
          {"id":"yes","type":"Elsa.WriteLine","version":1,"text":{"typeName":"String","expression":{"type":"Literal","value":"yes"}}}],
          "connections":[{"source":"start","target":"decide","sourcePort":"Done","targetPort":"In"},
                         {"source":"decide","target":"yes","sourcePort":"True","targetPort":"In"}]}}
        """;

        var definition = _loader.Load(json);

        Assert.Equal([new Connection("start", "Done", "decide"), new Connection("decide", "True", "yes")], definition.Root.Connections);
        var exported = JsonNode.Parse(_loader.Export(definition))!;
        Assert.Equal("start", exported["root"]!["connections"]![0]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void Load_WhenTheDefinitionNamesACompensationActivity_ShouldExposeIt()
    {
        var viaDefinition = Compensated("""{"customProperties":{"compensationActivityId":"undo"}}""", "{}");
        var viaActivity = Compensated("{}", """{"isCompensation":true}""");

        Assert.Equal("undo", _loader.Load(viaDefinition).CompensationActivityId);
        Assert.Equal("undo", _loader.Load(viaActivity).CompensationActivityId);
        var exported = _loader.Export(_loader.Load(viaActivity));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(viaActivity), JsonNode.Parse(exported)), exported);

        static string Compensated(string definitionExtra, string activityCustom)
        {
            var json = JsonNode.Parse($$$"""
            {"$schema":"{{{DefinitionWriter.SchemaUrl}}}","id":"c","definitionId":"c","name":"c","root":{"type":"Elsa.Flowchart","id":"f","activities":[
              {"id":"start","type":"Elsa.Start","version":1},
              {"id":"undo","type":"VmMigration.Rollback","version":1,"customProperties":{{{activityCustom}}}}],"connections":[]}}
            """)!.AsObject();
            foreach (var (key, value) in JsonNode.Parse(definitionExtra)!.AsObject())
                json[key] = value?.DeepClone();
            return json.ToJsonString();
        }
    }

    [Fact]
    public void Load_WhenSetVariableUsesElsasVariableObject_ShouldReadTheVariableIdAndRoundTrip()
    {
        const string json = """
        {"$schema":"https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json","id":"s","definitionId":"s","name":"s",
         "variables":[{"id":"v1","name":"Counter","typeName":"Int32","isArray":false,"value":"1"}],
         "root":{"type":"Elsa.Flowchart","id":"f","activities":[
          {"id":"set","type":"Elsa.SetVariable","version":1,
           "variable":{"id":"v1","name":"Counter","typeName":"Int32","value":"1"},
           "value":{"typeName":"Object","expression":{"type":"JavaScript","value":"getCounter() + 1"}}}],"connections":[]}}
        """;

        var definition = _loader.Load(json);

        Assert.Equal("v1", definition.Root.Activities[0].Inputs["variable"].Value!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(_loader.Export(definition))));
    }

    private sealed class ExpressionComparer : IEqualityComparer<Expression>
    {
        public static readonly ExpressionComparer Instance = new();
        public bool Equals(Expression? x, Expression? y) => x?.Type == y?.Type && JsonNode.DeepEquals(x?.Value, y?.Value);
        public int GetHashCode(Expression obj) => obj.Type.GetHashCode();
    }
}
