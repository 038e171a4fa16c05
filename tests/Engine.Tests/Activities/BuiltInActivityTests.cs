using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Tests.Json;

namespace Elsa.Migration.Engine.Tests.Activities;

/// <summary>Built-in activities created from Elsa JSON by the registry and run against an in-memory context.</summary>
public sealed class BuiltInActivityTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private static async Task<FakeActivityExecutionContext> RunAsync(string activityJson, string variables = "")
    {
        var registry = TestRegistry.Create();
        var definition = new WorkflowDefinitionLoader(registry, new ExpressionEvaluator()).Load(
            """{"id":"b","definitionId":"b","name":"b","variables":[""" + variables +
            """],"root":{"type":"Elsa.Flowchart","id":"f","activities":[""" + activityJson + """],"connections":[]}}""");
        var node = definition.Root.Activities[0];
        var activity = registry.Create(node);
        var context = new FakeActivityExecutionContext(activity, definition.Variables.ToDictionary(v => v.Id, v => v.Name), new FixedTimeProvider(Now));
        foreach (var variable in definition.Variables)
            context.Variables[variable.Name] = variable.Value?.DeepClone();
        await activity.ExecuteAsync(context);
        return context;
    }

    [Fact]
    public async Task Start_ShouldCompleteWithDone() =>
        Assert.Equal(["Done"], (await RunAsync("""{"id":"s","type":"Elsa.Start"}""")).CompletedWith);

    [Fact]
    public async Task Finish_ShouldCompleteWithoutOutcomes() =>
        Assert.Empty((await RunAsync("""{"id":"f","type":"Elsa.Finish"}""")).CompletedWith!);

    [Theory]
    [InlineData("true", "True")]
    [InlineData("false", "False")]
    public async Task FlowDecision_ShouldTakeThePortOfTheCondition(string condition, string port)
    {
        var context = await RunAsync("""{"id":"d","type":"Elsa.FlowDecision","condition":{"typeName":"Boolean","expression":{"type":"JavaScript","value":"getInput('x') === null && """
            + condition + "\"}}}");

        Assert.Equal([port], context.CompletedWith);
    }

    [Fact]
    public async Task FlowFork_ShouldCompleteWithEveryBranch()
    {
        var context = await RunAsync("""{"id":"f","type":"Elsa.FlowFork","branches":{"typeName":"String[]","expression":{"type":"Object","value":"[\"Copy\",\"Watch\"]"}}}""");

        Assert.Equal(["Copy", "Watch"], context.CompletedWith);
    }

    [Fact]
    public async Task FlowJoin_ShouldCompleteWithDoneAndExposeItsModeToTheRuntime()
    {
        var context = await RunAsync("""{"id":"j","type":"Elsa.FlowJoin","mode":{"typeName":"FlowJoinMode","expression":{"type":"Literal","value":"WaitAny"}}}""");

        Assert.Equal(["Done"], context.CompletedWith);
        var join = Assert.IsAssignableFrom<IJoinActivity>(context.Activity);
        Assert.Equal(FlowJoinMode.WaitAny, context.Get(join.Mode));
    }

    [Fact]
    public async Task SetVariable_WhenTheVariableIsNamedById_ShouldWriteItByName()
    {
        var context = await RunAsync(
            """{"id":"s","type":"Elsa.SetVariable","variable":{"id":"v1","name":"Counter","typeName":"Int32"},"value":{"typeName":"Object","expression":{"type":"JavaScript","value":"getCounter() + 1"}}}""",
            """{"id":"v1","name":"Counter","typeName":"Int32","value":41}""");

        Assert.Equal(42, context.Variables["Counter"]!.GetValue<int>());
        Assert.Equal(["Done"], context.CompletedWith);
    }

    [Fact]
    public async Task Delay_ShouldCreateADurableTimerBookmarkAndWait()
    {
        var context = await RunAsync("""{"id":"d","type":"Elsa.Delay","timeSpan":{"typeName":"TimeSpan","expression":{"type":"Literal","value":"00:05:00"}}}""");

        var bookmark = Assert.Single(context.Bookmarks);
        Assert.Equal((Delay.BookmarkName, "d", Now.AddMinutes(5)), (bookmark.Name, bookmark.ActivityId, bookmark.ResumeAt));
        Assert.False(context.IsCompleted);

        await context.Activity.OnResumeAsync(context, bookmark);

        Assert.Equal(["Done"], context.CompletedWith);
    }

    [Fact]
    public async Task WriteLine_ShouldWriteTheTextToTheJournal()
    {
        var context = await RunAsync("""{"id":"w","type":"Elsa.WriteLine","text":{"typeName":"String","expression":{"type":"JavaScript","value":"'migrating ' + getVmName()"}}}""",
            """{"id":"v1","name":"VmName","typeName":"String","value":"web01"}""");

        Assert.Equal(["migrating web01"], context.Journal);
        Assert.Equal(["Done"], context.CompletedWith);
    }
}
