using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Engine.Tests.Scenarios;

/// <summary><c>validate</c> lists every problem, also under a Sequence root, inside unknown containers and nested
/// flowcharts, and warns (without refusing) where the runtime runs a construct differently from Elsa.</summary>
public sealed class ElsaValidationTests : IAsyncLifetime
{
    private readonly ScenarioHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public void Validate_UnderASequenceRoot_ShouldListEveryProblemWithItsPath()
    {
        var problems = _harness.Loader.Validate(ScenarioHarness.Sample("four-problems.json"));

        Assert.Contains(problems, p => p.Code == ProblemCodes.InvalidVariableValue && p.Message.Contains("variable 'Count'"));
        Assert.Contains(problems, p => p.Code == ProblemCodes.UnknownActivityType && p.Location == "root.activities[0] (id typo).type");
        Assert.Contains(problems, p => p.Code == ProblemCodes.JavaScriptSyntax && p.Location == "root.activities[1] (id badScript).text");
        Assert.Contains(problems, p => p.Code == ProblemCodes.UnknownActivityType && p.Message.Contains("Acme.UnknownContainer"));
        Assert.Contains(problems, p => p.Code == ProblemCodes.UnknownVariable && p.Location == "root.activities[2].body (id inner).variable");
        Assert.Contains(problems, p => p.Code == ProblemCodes.DanglingConnection && p.Location.StartsWith("root.activities[3].connections[0] (x:Done -> ghost:In)", StringComparison.Ordinal));
        Assert.All(problems, p => Assert.NotNull(p.Line));
    }

    [Fact]
    public void Export_OfASequenceRootWithContainerVariables_ShouldLeaveTheDocumentAsItWas()
    {
        var json = ScenarioHarness.Sample("sequence-root.json");

        var exported = System.Text.Json.Nodes.JsonNode.Parse(_harness.Loader.Export(_harness.Loader.Load(json)))!.AsObject();

        exported.Remove("$schema");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(json), exported), exported.ToJsonString());
    }

    [Fact]
    public void Check_MergeModeAndFork_ShouldWarnButNotRefuse()
    {
        var json = ScenarioHarness.Sample("merge-modes.json");

        var all = _harness.Loader.Check(json);

        Assert.Empty(_harness.Loader.Validate(json));
        Assert.DoesNotContain(all, p => p.Code == ProblemCodes.MergeMode);
        Assert.Contains(all, p => p.Severity == ProblemSeverity.Warning && p.Code == ProblemCodes.ConcurrentBranches && p.Location.Contains("id fork"));
        Assert.StartsWith("warning: ", all.First().ToString());
    }

    [Fact]
    public void Check_AnUnknownMergeMode_ShouldWarnThatItRunsAsCascade()
    {
        var json = ScenarioHarness.Sample("merge-modes.json").Replace("\"Converge\"", "\"Gather\"", StringComparison.Ordinal);

        var warning = Assert.Single(_harness.Loader.Check(json), p => p.Code == ProblemCodes.MergeMode);

        Assert.Equal(ProblemSeverity.Warning, warning.Severity);
        Assert.Contains("Unknown mergeMode 'Gather'", warning.Message);
    }

    [Fact]
    public async Task Converge_WhenABranchWasNotTaken_ShouldNotRunWhileMergeDoes()
    {
        var instance = await _harness.RunAsync("converge.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["left", "merged"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task FlowJoinWaitAllInbound_WhenABranchWasNotTaken_ShouldNotRun()
    {
        var instance = await _harness.RunAsync("join-every-inbound.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["took False"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task ConvergeMergeMode_ShouldRunTheNodeOnceAfterBothBranches()
    {
        var instance = await _harness.RunAsync("merge-modes.json");

        var lines = await _harness.LinesAsync(instance.Id);
        Assert.Equal(["a", "b"], lines.Take(2).Order());
        Assert.Equal(["converged"], lines.Skip(2));
    }
}
