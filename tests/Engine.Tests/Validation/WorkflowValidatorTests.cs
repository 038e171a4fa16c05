using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Tests.Json;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Engine.Tests.Validation;

/// <summary>Each validation rule, asserted through the loader on JSON text (code, location and message).</summary>
public sealed class WorkflowValidatorTests
{
    private readonly WorkflowDefinitionLoader _loader = new(TestRegistry.Create(), new ExpressionEvaluator());

    private const string Start = """{"id":"start","type":"Elsa.Start","version":1}""";
    private const string StartToA = """{"source":{"activity":"start","port":"Done"},"target":{"activity":"a","port":"In"},"vertices":[]}""";

    private static string Definition(string activities, string connections = "", string variables = "") => $$"""
        {
          "$schema": "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json",
          "id": "t-v1", "definitionId": "t", "name": "t",
          "variables": [{{variables}}],
          "root": {
            "type": "Elsa.Flowchart", "id": "flow",
            "activities": [
              {{activities}}
            ],
            "connections": [{{connections}}]
          }
        }
        """;

    private ValidationProblem Single(string json, string code)
    {
        var problems = _loader.Validate(json);
        var problem = Assert.Single(problems);
        Assert.Equal(code, problem.Code);
        return problem;
    }

    [Fact]
    public void Validate_WhenTheStudioSavedDefinitionIsLoaded_ShouldFindNoProblem() =>
        Assert.Empty(_loader.Validate(TestRegistry.Sample("Json", "studio-saved-definition.json")));

    [Fact]
    public void Validate_WhenJsonSyntaxIsBroken_ShouldReportLineAndColumn()
    {
        var problem = Single("{\n  \"id\": \"x\",\n  \"root\": { \"type\": \"Elsa.Flowchart\" \"activities\": [] }\n}", ProblemCodes.JsonSyntax);

        Assert.Equal(3, problem.Line);
        Assert.Equal(38, problem.Column);
        Assert.Contains("not valid JSON", problem.Message);
    }

    [Fact]
    public void Validate_WhenTheRootIsMissing_ShouldSaySoAtRoot()
    {
        var problem = Single("""{"id":"x","definitionId":"x","name":"x"}""", ProblemCodes.MissingRoot);

        Assert.Equal("root", problem.Location);
        Assert.Contains("Elsa.Flowchart", problem.Message);
    }

    [Fact]
    public void Validate_WhenTheRootIsASequence_ShouldCheckTheActivitiesInside()
    {
        var problem = Single("""{"id":"x","root":{"type":"Elsa.Sequence","id":"seq","activities":[{"id":"w","type":"Elsa.WriteLin"}]}}""", ProblemCodes.UnknownActivityType);

        Assert.Equal("root.activities[0] (id w).type", problem.Location);
        Assert.Contains("'Elsa.WriteLine'", problem.Message);
    }

    [Fact]
    public void Validate_WhenAnActivityTypeIsUnknown_ShouldSuggestTheClosestNames()
    {
        var problem = Single(Definition($"{Start},\n{{\"id\":\"a\",\"type\":\"VmMigration.ZfsReplicat\",\"version\":1}}", StartToA), ProblemCodes.UnknownActivityType);

        Assert.Equal("root.activities[1] (id a).type", problem.Location);
        Assert.Equal(9, problem.Line);
        Assert.Contains("'VmMigration.ZfsReplicat'", problem.Message);
        Assert.Contains("Did you mean 'VmMigration.ZfsReplicate'", problem.Message);
    }

    [Fact]
    public void Validate_WhenTwoActivitiesShareAnId_ShouldReportTheSecond()
    {
        var problem = Single(Definition($"{Start},\n{{\"id\":\"a\",\"type\":\"Elsa.Finish\"}},\n{{\"id\":\"a\",\"type\":\"Elsa.Finish\"}}", StartToA), ProblemCodes.DuplicateActivityId);

        Assert.Equal("root.activities[2] (id a).id", problem.Location);
        Assert.Equal(10, problem.Line);
    }

    [Fact]
    public void Validate_WhenAConnectionPointsNowhere_ShouldReportTheDanglingEnd()
    {
        var problem = Single(Definition(Start, """{"source":{"activity":"start","port":"Done"},"target":{"activity":"ghost","port":"In"}}"""), ProblemCodes.DanglingConnection);

        Assert.StartsWith("root.connections[0]", problem.Location);
        Assert.Contains("'ghost'", problem.Message);
        Assert.Equal(10, problem.Line);
    }

    [Fact]
    public void Validate_WhenTheSourcePortIsNotAnOutcome_ShouldListTheOutcomes()
    {
        var problem = Single(Definition($"{Start},\n{{\"id\":\"a\",\"type\":\"VmMigration.WaitConvergence\"}},\n{{\"id\":\"b\",\"type\":\"Elsa.Finish\"}}",
            StartToA + """,{"source":{"activity":"a","port":"Convergd"},"target":{"activity":"b","port":"In"}}"""), ProblemCodes.UnknownPort);

        Assert.StartsWith("root.connections[1]", problem.Location);
        Assert.Contains("no outcome 'Convergd'", problem.Message);
        Assert.Contains("Converged, TimedOut, Failed", problem.Message);
    }

    [Fact]
    public void Validate_WhenTheTargetPortIsNotIn_ShouldSaySo()
    {
        var problem = Single(Definition($"{Start},\n{{\"id\":\"a\",\"type\":\"Elsa.Finish\"}}",
            """{"source":{"activity":"start","port":"Done"},"target":{"activity":"a","port":"Out"}}"""), ProblemCodes.UnknownPort);

        Assert.StartsWith("root.connections[0]", problem.Location);
        Assert.Contains("through 'In'", problem.Message);
    }

    [Fact]
    public void Validate_WhenAForkConnectsAPortThatIsNotABranch_ShouldReportIt()
    {
        var fork = """{"id":"a","type":"Elsa.FlowFork","branches":{"typeName":"String[]","expression":{"type":"Object","value":"[\"Left\",\"Right\"]"}}}""";
        var connections = StartToA + """,{"source":{"activity":"a","port":"Left"},"target":{"activity":"b","port":"In"}},{"source":{"activity":"a","port":"Middle"},"target":{"activity":"b","port":"In"}}""";

        var problem = Single(Definition($"{Start},\n{fork},\n{{\"id\":\"b\",\"type\":\"Elsa.Finish\"}}", connections), ProblemCodes.UnknownPort);

        Assert.StartsWith("root.connections[2]", problem.Location);
        Assert.Contains("Left, Right", problem.Message);
    }

    [Fact]
    public void Validate_WhenARequiredInputHasNoValue_ShouldNameTheInput()
    {
        var problem = Single(Definition($"{Start},\n{{\"id\":\"a\",\"type\":\"Elsa.Delay\",\"timeSpan\":{{\"typeName\":\"TimeSpan\",\"expression\":{{\"type\":\"Literal\",\"value\":\"\"}}}}}}", StartToA),
            ProblemCodes.MissingRequiredInput);

        Assert.Equal("root.activities[1] (id a).timeSpan", problem.Location);
        Assert.Contains("requires the input 'timeSpan'", problem.Message);
    }

    [Theory]
    [InlineData("VmMigration.WaitConvergence", "retries", "Int32")]
    [InlineData("VmMigration.WaitConvergence", "timeout", "TimeSpan")]
    [InlineData("VmMigration.BitmapMirror", "verify", "Boolean")]
    [InlineData("VmMigration.BitmapMirror", "strategy", "MirrorStrategy")]
    public void Validate_WhenALiteralHasTheWrongType_ShouldNameTheType(string type, string input, string typeName)
    {
        var activity = "{\"id\":\"a\",\"type\":\"" + type + "\",\"" + input + "\":" + """{"typeName":"String","expression":{"type":"Literal","value":"abc"}}}""";

        var problem = Single(Definition($"{Start},\n{activity}", StartToA), ProblemCodes.InvalidLiteral);

        Assert.Equal($"root.activities[1] (id a).{input}", problem.Location);
        Assert.Contains($"\"abc\" is not a valid {typeName}", problem.Message);
        Assert.Equal(9, problem.Line);
    }

    [Fact]
    public void Validate_WhenJavaScriptDoesNotParse_ShouldGiveTheScriptPosition()
    {
        var activity = """{"id":"a","type":"Elsa.WriteLine","text":{"typeName":"String","expression":{"type":"JavaScript","value":"getVmName( +"}}}""";

        var problem = Single(Definition($"{Start},\n{activity}", StartToA, """{"id":"v1","name":"VmName","typeName":"String"}"""), ProblemCodes.JavaScriptSyntax);

        Assert.Equal("root.activities[1] (id a).text", problem.Location);
        Assert.Contains("script line 1", problem.Message);
    }

    [Theory]
    [InlineData("CSharp")]
    [InlineData("Liquid")]
    public void Validate_WhenTheExpressionTypeIsNotExecuted_ShouldRejectItByName(string expressionType)
    {
        var activity = """{"id":"a","type":"Elsa.WriteLine","text":{"typeName":"String","expression":{"type":""" + $"\"{expressionType}\"" + ""","value":"x"}}}""";

        var problem = Single(Definition($"{Start},\n{activity}", StartToA), ProblemCodes.UnsupportedExpressionType);

        Assert.Equal("root.activities[1] (id a).text", problem.Location);
        Assert.Contains($"'{expressionType}' is not executed", problem.Message);
    }

    [Fact]
    public void Validate_WhenAVariableExpressionNamesNoVariable_ShouldSaySo()
    {
        var activity = """{"id":"a","type":"Elsa.WriteLine","text":{"typeName":"String","expression":{"type":"Variable","value":"v-missing"}}}""";

        var problem = Single(Definition($"{Start},\n{activity}", StartToA, """{"id":"v1","name":"VmName","typeName":"String"}"""), ProblemCodes.UnknownVariable);

        Assert.Equal("root.activities[1] (id a).text", problem.Location);
        Assert.Contains("'v-missing'", problem.Message);
    }

    [Fact]
    public void Validate_WhenSetVariableNamesNoVariable_ShouldSaySo()
    {
        var activity = """{"id":"a","type":"Elsa.SetVariable","variable":{"typeName":"String","expression":{"type":"Literal","value":"Nope"}}}""";

        var problem = Single(Definition($"{Start},\n{activity}", StartToA), ProblemCodes.UnknownVariable);

        Assert.Equal("root.activities[1] (id a).variable", problem.Location);
    }

    [Fact]
    public void Validate_WhenEveryActivityHasAnInboundConnection_ShouldReportNoStart()
    {
        var problem = Single(Definition("""{"id":"a","type":"Elsa.WriteLine"},{"id":"b","type":"Elsa.WriteLine"}""",
            """{"source":{"activity":"a","port":"Done"},"target":{"activity":"b","port":"In"}},{"source":{"activity":"b","port":"Done"},"target":{"activity":"a","port":"In"}}"""),
            ProblemCodes.NoStartActivity);

        Assert.Equal("root.activities", problem.Location);
        Assert.Contains("no Elsa.Start", problem.Message);
    }

    [Fact]
    public void Validate_WhenThereIsNoStartActivityButAFirstStep_ShouldFollowElsasRule() =>
        Assert.Empty(_loader.Validate(Definition("""{"id":"a","type":"Elsa.WriteLine"},{"id":"b","type":"Elsa.Finish"}""",
            """{"source":{"activity":"a","port":"Done"},"target":{"activity":"b","port":"In"}}""")));

    [Fact]
    public void Validate_WhenTheCompensationActivityIsUnknown_ShouldSaySo()
    {
        var json = JsonNode.Parse(Definition(Start))!.AsObject();
        json["customProperties"] = new JsonObject { ["compensationActivityId"] = "rollback" };

        var problem = Single(json.ToJsonString(), ProblemCodes.UnknownCompensationActivity);

        Assert.Equal("customProperties.compensationActivityId", problem.Location);
    }

    [Fact]
    public void Validate_WhenTheDefinitionIsAStudioSaveRequest_ShouldPrefixLocationsWithModel()
    {
        var json = JsonNode.Parse(TestRegistry.Sample("Json", "studio-saved-definition.json"))!;
        json["model"]!["root"]!["activities"]![1]!["timeout"]!["expression"]!["value"] = "soon";

        var problem = Single(json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ProblemCodes.InvalidLiteral);

        Assert.Equal("model.root.activities[1] (id waitConv1).timeout", problem.Location);
        Assert.NotNull(problem.Line);
    }

    [Fact]
    public void Validate_WhenTheSampleHasThreeErrors_ShouldReportAllThreeAtOnce()
    {
        var problems = _loader.Validate(TestRegistry.Sample("Validation", "three-errors.json"));

        Assert.Equal([ProblemCodes.UnknownActivityType, ProblemCodes.InvalidLiteral, ProblemCodes.DanglingConnection], problems.Select(p => p.Code));
        Assert.All(problems, p => Assert.NotNull(p.Line));
        var exception = Assert.Throws<WorkflowValidationException>(() => _loader.Load(TestRegistry.Sample("Validation", "three-errors.json")));
        Assert.Equal(3, exception.Problems.Count);
        Assert.Contains("'finish'", exception.Message);
    }
}
