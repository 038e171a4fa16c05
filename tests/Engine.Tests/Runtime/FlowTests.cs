using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>Flow semantics: fan-out, joins, loops, decisions, Finish. Real SQLite, real concurrency.</summary>
public sealed class FlowTests : IAsyncLifetime
{
    private readonly RuntimeHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task FanOut_WhenOnePortHasTwoConnections_ShouldRunBothBranchesConcurrently()
    {
        var json = new FlowJson("fan-out")
            .Activity("start", "Elsa.Start")
            .Activity("a", "RuntimeTest.Step", ("workMs", 300))
            .Activity("b", "RuntimeTest.Step", ("workMs", 300))
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAll"))
            .Activity("after", "RuntimeTest.Step")
            .Connect("start", "Done", "a").Connect("start", "Done", "b")
            .Connect("a", "Done", "join").Connect("b", "Done", "join").Connect("join", "Done", "after")
            .Build();

        var (id, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal(2, _harness.Log.MaxConcurrent);
        Assert.Equal("after", _harness.Log.Entries[^1]);
        Assert.Single(await _harness.ActivitiesAsync(id, JournalKind.ActivityCompleted), a => a == "after");
    }

    [Fact]
    public async Task FlowFork_WithWaitAllJoin_ShouldContinueOnlyAfterEveryBranchArrived()
    {
        var json = new FlowJson("wait-all")
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "Left,Right"))
            .Activity("left", "RuntimeTest.Gated")
            .Activity("right", "RuntimeTest.Gated")
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAll"))
            .Activity("after", "RuntimeTest.Step")
            .Connect("start", "Done", "fork")
            .Connect("fork", "Left", "left").Connect("fork", "Right", "right")
            .Connect("left", "Done", "join").Connect("right", "Done", "join").Connect("join", "Done", "after")
            .Build();
        var id = await _harness.StartAsync(json);
        await WaitForLogAsync("left:waiting", "right:waiting");

        _harness.Gates.Open("left");
        await WaitForLogAsync("left");
        await WaitForJournalAsync(id, JournalKind.ActivityCompleted, "left");
        Assert.DoesNotContain("after", _harness.Log.Entries);
        Assert.Equal(WorkflowStatus.Running, (await _harness.Instances.GetAsync(id, default))!.Status);
        _harness.Gates.Open("right");
        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal(["left", "right", "after"], _harness.Log.Entries.Where(e => !e.Contains(':')));
    }

    [Fact]
    public async Task WaitAllJoin_WhenADecisionBranchIsNotTaken_ShouldNotWaitForIt()
    {
        var json = new FlowJson("wait-all-dead-branch")
            .Variable("Flag", "Boolean", false)
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "A,B"))
            .Activity("a", "RuntimeTest.Step", ("workMs", 100))
            .Activity("decide", "Elsa.FlowDecision", ("condition", FlowJson.Js("getFlag()")))
            .Activity("b", "RuntimeTest.Step")
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAll"))
            .Activity("after", "RuntimeTest.Step")
            .Connect("start", "Done", "fork")
            .Connect("fork", "A", "a").Connect("fork", "B", "decide")
            .Connect("decide", "True", "b")
            .Connect("a", "Done", "join").Connect("b", "Done", "join").Connect("join", "Done", "after")
            .Build();

        var (_, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal(["a", "after"], _harness.Log.Entries);
    }

    [Fact]
    public async Task WaitAnyJoin_ShouldContinueWithTheFirstBranchAndCancelTheOther()
    {
        var json = new FlowJson("wait-any")
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "Fast,Slow"))
            .Activity("fast", "RuntimeTest.Gated")
            .Activity("slow", "RuntimeTest.Gated")
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAny"))
            .Activity("after", "RuntimeTest.Step")
            .Connect("start", "Done", "fork")
            .Connect("fork", "Fast", "fast").Connect("fork", "Slow", "slow")
            .Connect("fast", "Done", "join").Connect("slow", "Done", "join").Connect("join", "Done", "after")
            .Build();
        var id = await _harness.StartAsync(json);
        await WaitForLogAsync("fast:waiting", "slow:waiting");

        _harness.Gates.Open("fast");
        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Contains("slow:cancelled", _harness.Log.Entries);
        Assert.DoesNotContain("slow", _harness.Log.Entries);
        Assert.Single(_harness.Log.Entries, e => e == "after");
        Assert.Contains("slow", await _harness.ActivitiesAsync(id, JournalKind.ActivityCancelled));
    }

    [Fact]
    public async Task Loop_WhenTheFailedPortLeadsBackToAnEarlierActivity_ShouldRetryUntilItSucceeds()
    {
        var json = new FlowJson("retry-loop")
            .Variable("attempts", "Int32", 0)
            .Activity("start", "Elsa.Start")
            .Activity("prepare", "RuntimeTest.Step")
            .Activity("flaky", "RuntimeTest.Flaky", ("succeedOnAttempt", 3))
            .Activity("done", "RuntimeTest.Step")
            .Chain("start", "prepare", "flaky", "done")
            .Connect("flaky", "Failed", "prepare")
            .Build();

        var (id, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal(["prepare", "flaky#1", "prepare", "flaky#2", "prepare", "flaky#3", "done"], _harness.Log.Entries);
        var instance = await _harness.Instances.GetAsync(id, default);
        Assert.Equal(3, instance!.Variables["attempts"]!.GetValue<int>());
        Assert.Equal(2, (await _harness.ActivitiesAsync(id, JournalKind.ActivityFaulted)).Count);
    }

    [Theory]
    [InlineData(true, "yes")]
    [InlineData(false, "no")]
    public async Task Decision_ShouldFollowThePortOfItsCondition(bool flag, string expected)
    {
        var json = new FlowJson("decision")
            .Variable("Flag", "Boolean", flag)
            .Activity("start", "Elsa.Start")
            .Activity("decide", "Elsa.FlowDecision", ("condition", FlowJson.Js("getFlag()")))
            .Activity("yes", "RuntimeTest.Step")
            .Activity("no", "RuntimeTest.Step")
            .Chain("start", "decide")
            .Connect("decide", "True", "yes").Connect("decide", "False", "no")
            .Build();

        var (id, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Equal([expected], _harness.Log.Entries);
        var decision = (await _harness.JournalOfAsync(id)).Single(e => e.Kind == JournalKind.ActivityCompleted && e.ActivityId == "decide");
        Assert.Equal(flag ? "True" : "False", decision.Outcome);
    }

    [Fact]
    public async Task Finish_ShouldEndTheInstanceAndCancelOtherBranches()
    {
        var json = new FlowJson("finish")
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "Stuck,End"))
            .Activity("stuck", "RuntimeTest.Gated")
            .Activity("wait", "RuntimeTest.Step", ("workMs", 100))
            .Activity("end", "Elsa.Finish")
            .Connect("start", "Done", "fork").Connect("fork", "Stuck", "stuck").Connect("fork", "End", "wait").Connect("wait", "Done", "end")
            .Build();

        var (id, status) = await _harness.RunAsync(json);

        Assert.Equal(WorkflowStatus.Finished, status);
        Assert.Contains("stuck:cancelled", _harness.Log.Entries);
        Assert.Contains("stuck", await _harness.ActivitiesAsync(id, JournalKind.ActivityCancelled));
    }

    [Fact]
    public async Task Bookmark_ShouldSuspendWithoutADriverAndResumeOnTheOutcomeTheStimulusChose()
    {
        var json = new FlowJson("signal")
            .Activity("start", "Elsa.Start")
            .Activity("wait", "RuntimeTest.WaitSignal")
            .Activity("done", "RuntimeTest.Step")
            .Activity("other", "RuntimeTest.Step")
            .Chain("start", "wait", "done").Connect("wait", "Other", "other")
            .Build();
        var id = await _harness.StartAsync(json);

        Assert.Equal(WorkflowStatus.Suspended, await _harness.Runtime.WaitForIdleAsync(id).WaitAsync(TimeSpan.FromSeconds(20)));
        var bookmark = Assert.Single(await _harness.Instances.FindBookmarksAsync("Signal", default));
        Assert.Equal(id, bookmark.InstanceId);
        Assert.True(await _harness.Runtime.ResumeBookmarkAsync(id, bookmark.Bookmark.Id, new System.Text.Json.Nodes.JsonObject { ["outcome"] = "Other" }));
        Assert.Equal(WorkflowStatus.Finished, await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(await _harness.Runtime.ResumeBookmarkAsync(id, bookmark.Bookmark.Id));

        Assert.Equal(["wait:resumed", "other"], _harness.Log.Entries);
        Assert.Empty(await _harness.Instances.GetBookmarksAsync(id, default));
    }

    private async Task WaitForLogAsync(params string[] entries)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!entries.All(_harness.Log.Entries.Contains))
            await Task.Delay(10, timeout.Token);
    }

    private async Task WaitForJournalAsync(string id, JournalKind kind, string activityId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!(await _harness.ActivitiesAsync(id, kind)).Contains(activityId))
            await Task.Delay(10, timeout.Token);
    }
}
