using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>Joins inside loops, WaitAny against a suspended branch, many concurrent instances on one SQLite file.</summary>
public sealed class FlowEdgeCaseTests : IAsyncLifetime
{
    private readonly RuntimeHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task WaitAllJoin_InsideARetryLoop_ShouldResetAndJoinAgainOnEveryIteration()
    {
        var json = new FlowJson("join-in-loop")
            .Variable("attempts", "Int32", 0)
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "A,B"))
            .Activity("a", "RuntimeTest.Step", ("workMs", 20))
            .Activity("b", "RuntimeTest.Step", ("workMs", 60))
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAll"))
            .Activity("check", "RuntimeTest.Flaky", ("succeedOnAttempt", 3))
            .Activity("done", "RuntimeTest.Step")
            .Connect("start", "Done", "fork").Connect("fork", "A", "a").Connect("fork", "B", "b")
            .Connect("a", "Done", "join").Connect("b", "Done", "join").Connect("join", "Done", "check")
            .Connect("check", "Failed", "fork").Connect("check", "Done", "done")
            .Build();

        var (id, _) = await _harness.RunAsync(json);

        Assert.Equal(["check#1", "check#2", "check#3", "done"], _harness.Log.Entries.Where(e => e.StartsWith("check") || e == "done"));
        Assert.Equal(3, (await _harness.ActivitiesAsync(id, JournalKind.ActivityCompleted)).Count(a => a == "join"));
        Assert.Equal(6, _harness.Log.Entries.Count(e => e is "a" or "b"));
    }

    [Fact]
    public async Task WaitAnyJoin_WhenTheOtherBranchWaitsOnABookmark_ShouldRemoveThatBookmark()
    {
        var json = new FlowJson("wait-any-bookmark")
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "Work,Approval"))
            .Activity("work", "RuntimeTest.Step", ("workMs", 50))
            .Activity("approval", "RuntimeTest.WaitSignal")
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAny"))
            .Activity("after", "RuntimeTest.Step")
            .Connect("start", "Done", "fork").Connect("fork", "Work", "work").Connect("fork", "Approval", "approval")
            .Connect("work", "Done", "join").Connect("approval", "Done", "join").Connect("join", "Done", "after")
            .Build();

        var (id, _) = await _harness.RunAsync(json);

        Assert.Equal(["work", "after"], _harness.Log.Entries);
        Assert.Empty(await _harness.Instances.GetBookmarksAsync(id, default));
        Assert.Contains("approval", await _harness.ActivitiesAsync(id, JournalKind.ActivityCancelled));
    }

    [Fact]
    public async Task ManyInstancesAtOnce_ShouldAllFinishWithTheirOwnState()
    {
        var json = new FlowJson("parallel-instances")
            .Variable("A", "Int32", 0).Variable("B", "Int32", 0).Variable("C", "Int32", 0)
            .Activity("start", "Elsa.Start")
            .Activity("fork", "Elsa.FlowFork", ("branches", "A,B,C"))
            .Activity("a", "Elsa.SetVariable", ("variable", "var-A"), ("value", "1"))
            .Activity("b", "Elsa.SetVariable", ("variable", "var-B"), ("value", "2"))
            .Activity("c", "Elsa.SetVariable", ("variable", "var-C"), ("value", "3"))
            .Activity("join", "Elsa.FlowJoin", ("mode", "WaitAll"))
            .Connect("start", "Done", "fork").Connect("fork", "A", "a").Connect("fork", "B", "b").Connect("fork", "C", "c")
            .Connect("a", "Done", "join").Connect("b", "Done", "join").Connect("c", "Done", "join")
            .Build();
        var definition = _harness.Loader.Load(json);

        var ids = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => _harness.Runtime.StartAsync(definition)));
        var statuses = await Task.WhenAll(ids.Select(id => _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(60))));

        Assert.All(statuses, s => Assert.Equal(WorkflowStatus.Finished, s));
        foreach (var id in ids)
        {
            var instance = await _harness.Instances.GetAsync(id, default);
            // Each concurrent branch wrote its own variable; the last commit holds all three.
            Assert.Equal(["1", "2", "3"], new[] { "A", "B", "C" }.Select(v => instance!.Variables[v]!.ToString()));
            Assert.Single(await _harness.ActivitiesAsync(id, JournalKind.ActivityCompleted), a => a == "join");
        }
    }
}
