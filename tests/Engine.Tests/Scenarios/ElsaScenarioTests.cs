using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Engine.Tests.Scenarios;

/// <summary>
/// Workflows in Elsa 3's JSON, of the kinds Elsa's own test suite runs (WriteLine output, outputs, statuses, variables,
/// workflows as activities, Sequence roots, loops, switches, fork/join, faults, Complete/End, correlation), asserting
/// what Elsa's tests assert: the lines written, the outputs and the final status. Real runtime, real SQLite.
/// </summary>
public sealed class ElsaScenarioTests : IAsyncLifetime
{
    private readonly ScenarioHarness _harness = new(o => o.MaxActivityExecutions = 200);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task HelloWorld_ShouldWriteItsLineAndFinish()
    {
        var instance = await _harness.RunAsync("hello-world.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["Hello World!"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task SequenceRoot_ShouldRunItsActivitiesInOrder_WithVariablesDeclaredOnANestedSequence()
    {
        var instance = await _harness.RunAsync("sequence-root.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["Line 1", "Line 2", "Line 3", "Line 4"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task TypedVariables_ShouldBeNumbersAndBooleans_SoArithmeticGives42()
    {
        var instance = await _harness.RunAsync("typed-variables.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["acceptance-count=42 enabled=true ratio=1 ids=3"], await _harness.LinesAsync(instance.Id));
        Assert.Equal(42, instance.Variables["Count"]!.GetValue<int>());
    }

    [Fact]
    public async Task SetOutputSetNameAndComplete_ShouldBeTheInstancesOutputNameAndOutcome()
    {
        var instance = await _harness.RunAsync("set-output.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(42, WorkflowOutputs.Read(instance)["Sum"]!.GetValue<long>());
        Assert.Equal(["Approved"], WorkflowOutputs.Outcomes(instance));
        Assert.Equal("Adder", WorkflowOutputs.Name(instance));
    }

    [Fact]
    public async Task ActivityOutputBoundToAWorkflowOutput_ShouldBeTheInstancesOutput()
    {
        var instance = await _harness.RunAsync("output-mapping.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal("Foo", WorkflowOutputs.Read(instance)["Output1"]!.GetValue<string>());
    }

    [Fact]
    public async Task WorkflowAsActivity_ShouldPassInputs_MapOutputsAndLeaveByTheChildsOutcome()
    {
        await _harness.PublishAsync("greeter-child.json");

        var instance = await _harness.RunAsync("greeter-parent.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["Hello from the parent", "child said re: Hello from the parent", "again: re: Hello from the parent"],
            await _harness.LinesAsync(instance.Id));
        Assert.Equal("re: Hello from the parent", instance.Variables["Answer"]!.GetValue<string>());
    }

    [Fact]
    public async Task WorkflowAsActivity_WhenANewChildVersionIsPublished_ShouldRunTheNewVersion()
    {
        await _harness.PublishAsync("greeter-child.json");
        await _harness.RunAsync("greeter-parent.json");
        var second = ScenarioHarness.Sample("greeter-child.json").Replace("'re: '", "'v2: '", StringComparison.Ordinal);
        await _harness.Definitions.SaveDraftAsync("greeter", "Greeter", second, CancellationToken.None);
        await _harness.Definitions.PublishAsync("greeter", null, CancellationToken.None);

        var instance = await _harness.RunAsync("greeter-parent.json");

        Assert.Equal("v2: Hello from the parent", instance.Variables["Answer"]!.GetValue<string>());
    }

    [Fact]
    public async Task WorkflowAsActivity_WithAMissingVersionId_ShouldFallBackToThePublishedChildAndLeaveByItsOutcome()
    {
        await _harness.PublishAsync("outcome-child.json");

        var instance = await _harness.RunAsync("outcome-parent.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["child succeeded"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task WorkflowAsActivity_WhoseOutputIsBoundToTheParentsOutput_ShouldSetTheParentsOutput()
    {
        await _harness.PublishAsync("greeter-child.json");

        var instance = await _harness.RunAsync("output-to-parent-output.json", new Dictionary<string, JsonNode?> { ["Input1"] = "hi" });

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["Parent: hi", "hi"], await _harness.LinesAsync(instance.Id));
        Assert.Equal("re: hi", WorkflowOutputs.Read(instance)["Output1"]!.GetValue<string>());
    }

    [Fact]
    public void WorkflowAsActivity_WhenTheChildIsNotStored_ShouldBeRefusedByValidation()
    {
        var problems = _harness.Loader.Validate(ScenarioHarness.Sample("greeter-parent.json"));

        Assert.Contains(problems, p => p.Code == "unknown-activity-type" && p.Message.Contains("'Greeter'"));
    }

    [Fact]
    public async Task ParallelForEach_ShouldGiveEachIterationItsOwnCurrentValue()
    {
        var instance = await _harness.RunAsync("parallel-for-each.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        var lines = await _harness.LinesAsync(instance.Id);
        Assert.Equal(["item 1", "item 2", "item 3"], lines.Take(3).Order());
        Assert.Equal("all done", lines[^1]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ParallelForEach_WithMaxDegreeOfParallelism_ShouldNeverRunMoreIterationsAtOnce_AndStartThemInItemOrder(int limit)
    {
        var instance = await _harness.RunAsync("parallel-for-each-bounded.json", new Dictionary<string, JsonNode?> { ["Limit"] = limit });

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        var lines = await _harness.LinesAsync(instance.Id);
        // The journal is in append order: count the iterations between their start and end lines.
        var running = 0;
        var most = 0;
        foreach (var line in lines)
            most = Math.Max(most, running += line.StartsWith("start ", StringComparison.Ordinal) ? 1 : line.StartsWith("end ", StringComparison.Ordinal) ? -1 : 0);
        Assert.Equal(limit, most);
        Assert.Equal(["start 1", "start 2", "start 3", "start 4", "start 5"], lines.Where(l => l.StartsWith("start ", StringComparison.Ordinal)));
        Assert.Equal(5, lines.Count(l => l.StartsWith("end ", StringComparison.Ordinal)));
        Assert.Equal("all done", lines[^1]);
    }

    [Fact]
    public async Task ParallelForEach_WithANegativeMaxDegreeOfParallelism_ShouldFaultNamingIt()
    {
        var instance = await _harness.RunAsync("parallel-for-each-bounded.json", new Dictionary<string, JsonNode?> { ["Limit"] = -1 });

        Assert.Equal(WorkflowStatus.Faulted, instance.Status);
        Assert.Contains("MaxDegreeOfParallelism is -1", instance.Error);
        Assert.Empty(await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task ForWhileBreakAndForEach_ShouldIterateAsElsaDoes()
    {
        var instance = await _harness.RunAsync("loops.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["i=1", "i=2", "n=3", "apple", "pear"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task FlowSwitchAndSwitch_ShouldTakeTheMatchingCases()
    {
        var instance = await _harness.RunAsync("switches.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["blue", "long name", "starts with b"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task ForkJoinAndNestedFlowchart_ShouldJoinBothBranchesAndMergeTheTakenOne()
    {
        var instance = await _harness.RunAsync("fork-join.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        var lines = await _harness.LinesAsync(instance.Id);
        Assert.Equal(["left", "right"], lines.Take(2).Order());
        Assert.Equal(["joined", "nested yes", "nested merged"], lines.Skip(2));
    }

    [Fact]
    public async Task Fault_ShouldFaultTheInstanceWithCodeAndMessage()
    {
        var instance = await _harness.RunAsync("fault.json");

        Assert.Equal(WorkflowStatus.Faulted, instance.Status);
        Assert.Equal("Boom", instance.Error);
        var faulted = Assert.Single(await _harness.JournalAsync(instance.Id), e => e.Kind == JournalKind.ActivityFaulted);
        Assert.Equal("E42", faulted.Data!["code"]!.GetValue<string>());
        Assert.Equal("the test asked for it", faulted.Data!["reason"]!.GetValue<string>());
        Assert.Equal(["before"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task End_ShouldFinishTheWorkflowAndCancelTheOtherBranch()
    {
        var instance = await _harness.RunAsync("end.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["quick"], await _harness.LinesAsync(instance.Id));
        Assert.Contains(await _harness.JournalAsync(instance.Id), e => e.Kind == JournalKind.ActivityCancelled && e.ActivityId == "slow");
    }

    [Fact]
    public async Task CorrelateAndJavaScriptHelpers_ShouldSetTheCorrelationIdAndSeeInputsByName()
    {
        var instance = await _harness.RunAsync("correlate.json", new Dictionary<string, JsonNode?> { ["OrderId"] = "7", ["Quantity"] = "41" });

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["order-7 true true false 8c5e4a9e-7a0b-4f55-9d39-1f6b43d0a111 2 {\"q\":42}"], await _harness.LinesAsync(instance.Id));
        Assert.Equal("order-final", instance.CorrelationId);
    }

    [Fact]
    public async Task CyclicFlowchart_ShouldFaultAtTheLimitNamingTheLoop()
    {
        var instance = await _harness.RunAsync("cyclic.json");

        Assert.Equal(WorkflowStatus.Faulted, instance.Status);
        Assert.Contains("more than 200 activity executions", instance.Error);
        Assert.Matches("loops through ('a' -> 'b' -> 'a'|'b' -> 'a' -> 'b')", instance.Error);
        Assert.InRange((await _harness.JournalAsync(instance.Id)).Count, 200, 1000);
    }

    [Fact]
    public async Task EmptyFlowchart_ShouldFinish()
    {
        var instance = await _harness.RunAsync("empty.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
    }

    [Fact]
    public async Task ExecuteWorkflow_ShouldRunThePublishedChildAndReturnItsOutput()
    {
        await _harness.PublishAsync("set-output.json");

        var instance = await _harness.RunAsync("execute-child.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["Finished 42"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task CronAtTheStart_WhenRunDirectly_ShouldCompleteAtOnceAsTheTrigger()
    {
        var instance = await _harness.RunAsync("cron-trigger.json");

        Assert.Equal(WorkflowStatus.Finished, instance.Status);
        Assert.Equal(["fired"], await _harness.LinesAsync(instance.Id));
    }

    [Fact]
    public async Task TypedInput_WhenTheValueDoesNotConvert_ShouldRefuseTheStartNamingTheInput()
    {
        var definition = _harness.Loader.Load(ScenarioHarness.Sample("correlate.json"));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _harness.Runtime.StartAsync(definition,
            new Dictionary<string, JsonNode?> { ["OrderId"] = "7", ["Quantity"] = "lots" }));

        Assert.Contains("'Quantity'", error.Message);
        Assert.Contains("Int32", error.Message);
    }
}
