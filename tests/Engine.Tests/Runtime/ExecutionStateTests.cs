using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>The runtime's persisted execution state survives a JSON round trip (what recovery reads back).</summary>
public sealed class ExecutionStateTests
{
    [Fact]
    public void Serialize_ThenDeserialize_ShouldKeepRunningResumptionsJoinsAndEndState()
    {
        var resumeAt = new DateTimeOffset(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);
        var bookmark = new Bookmark("b1", "wait", "Delay", new JsonObject { ["resumeAt"] = resumeAt }, resumeAt) { ResumeInput = new JsonObject { ["ok"] = true } };
        var state = new ExecutionState
        {
            Running = [new RunningActivity("e1", "wait", resumeAt, bookmark), new RunningActivity("e2", "copy", resumeAt, Abandoned: true)],
            JoinArrivals = new() { ["join"] = ["a:Done->join"] },
            EndStatus = WorkflowStatus.Cancelled,
            Compensating = true,
        };

        var copy = ExecutionState.Deserialize(state.Serialize());

        Assert.Equal(2, copy.Running.Count);
        var resumed = copy.Running[0].Resuming!;
        Assert.Equal(("b1", "wait", "Delay", resumeAt), (resumed.Id, resumed.ActivityId, resumed.Name, resumed.ResumeAt));
        Assert.True(resumed.ResumeInput!["ok"]!.GetValue<bool>());
        Assert.True(copy.Running[1].Abandoned);
        Assert.Equal(["a:Done->join"], copy.JoinArrivals["join"]);
        Assert.Equal(WorkflowStatus.Cancelled, copy.EndStatus);
        Assert.True(copy.Compensating);
    }
}
