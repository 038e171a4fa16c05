using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Evacuation;

namespace Elsa.Migration.Activities.Tests.Evacuation;

/// <summary>The pure decisions of an evacuation plan: targets in turn, the parallelism under the host's limit, and lists as operators write them.</summary>
public sealed class EvacuationPlannerTests
{
    [Fact]
    public void Assign_ShouldSpreadTheVmsOverTheTargetsInTurn()
    {
        var moves = EvacuationPlanner.Assign("a", ["101", "102", "103", "104", "105"], ["b", "c"]);

        Assert.Equal(["b", "c", "b", "c", "b"], moves.Select(m => m.TargetNode));
        Assert.Equal(["101", "102", "103", "104", "105"], moves.Select(m => m.VmId));
        Assert.All(moves, m => Assert.Equal("a", m.SourceNode));
    }

    [Fact]
    public void Assign_ShouldRefuseNoTargetAndTheEvacuatedNodeAsATarget()
    {
        Assert.Contains("No target node", Assert.Throws<ArgumentException>(() => EvacuationPlanner.Assign("a", ["101"], [])).Message);
        Assert.Contains("target node a is the node being evacuated", Assert.Throws<ArgumentException>(() => EvacuationPlanner.Assign("a", ["101"], ["b", "a"])).Message);
        Assert.Contains("is the node being evacuated", Assert.Throws<ArgumentException>(() => EvacuationPlanner.Assign("a", ["101"], ["a"])).Message);
    }

    [Theory]
    [InlineData(2, 2, 2, false)]
    [InlineData(1, 2, 1, false)]
    [InlineData(5, 2, 2, true)]
    [InlineData(5, null, 5, false)]
    public void Parallelism_ShouldNeverBeAboveTheHostsPerNodeLimit_AndSaySoWhenLowered(int requested, int? limit, int expected, bool lowered)
    {
        var (parallel, clamped) = EvacuationPlanner.Parallelism(requested, limit);

        Assert.Equal(expected, parallel);
        Assert.Equal(lowered, clamped is not null);
        if (lowered)
            Assert.Equal($"MaxParallel {requested} is above the host's limit of {limit} migrations per node (Migrations:MaxConcurrentPerNode): {limit} at a time", clamped);
    }

    [Fact]
    public void Parallelism_BelowOne_ShouldBeRefused() =>
        Assert.Contains("MaxParallel is 0", Assert.Throws<ArgumentException>(() => EvacuationPlanner.Parallelism(0, 2)).Message);

    [Fact]
    public void NameList_ShouldReadCommasSpacesJsonArraysAndNothing()
    {
        Assert.Equal(["101", "102", "103"], NameList.Parse("101, 102 103"));
        Assert.Equal(["b", "c"], NameList.Parse("[\"b\", \"c\"]"));
        Assert.Equal(["b", "c"], NameList.Parse(new JsonArray("b", "c", "b")));
        Assert.Equal(["b"], NameList.Parse(JsonValue.Create("b")));
        Assert.Empty(NameList.Parse(null));
        Assert.Empty(NameList.Parse("  "));
    }
}
