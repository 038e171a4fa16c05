using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Engine.Tests.Runtime;

/// <summary>Elsa.Fault: the instance ends Faulted with the fault's message as its incident; after the compensation it does not compensate again.</summary>
public sealed class FaultActivityTests : IAsyncLifetime
{
    private readonly RuntimeHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Fault_AfterTheCompensationActivityRanThroughAFailedPort_ShouldEndFaultedWithItsMessageAndNotCompensateAgain()
    {
        var json = new FlowJson("rollback-then-fault")
            .Variable("Reason", "String", "boom broke on purpose")
            .Activity("start", "Elsa.Start")
            .Activity("boom", "RuntimeTest.Fail")
            .Activity("rollback", "RuntimeTest.Record")
            .Activity("fault", "Elsa.Fault", ("code", "RolledBack"), ("category", "Migration"),
                ("message", new System.Text.Json.Nodes.JsonObject { ["type"] = "Variable", ["value"] = "var-Reason" }))
            .Chain("start", "boom").Connect("boom", "Failed", "rollback").Chain("rollback", "fault")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        Assert.Equal(["boom", "rollback"], _harness.Log.Entries);
        Assert.Equal("boom broke on purpose", (await _harness.Instances.GetAsync(id, default))!.Error);
        var journal = await _harness.JournalOfAsync(id);
        Assert.Single(journal, e => e.Kind == JournalKind.ActivityStarted && e.ActivityId == "rollback");
        var fault = Assert.Single(journal, e => e.Kind == JournalKind.ActivityFaulted && e.ActivityId == "fault");
        Assert.Equal("RolledBack", fault.Data?["code"]?.GetValue<string>());
        Assert.Equal("Migration", fault.Data?["category"]?.GetValue<string>());
        Assert.Contains(journal, e => e.Kind == JournalKind.Message && e.Message!.StartsWith("Not compensating", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fault_WhenWorkRanAfterTheCompensationActivity_ShouldCompensateAgain()
    {
        // rollback ran (Failed port), then a retry did real work ("again" records a resource): that work must be undone.
        var json = new FlowJson("rollback-retry-fault")
            .Activity("start", "Elsa.Start")
            .Activity("boom", "RuntimeTest.Fail")
            .Activity("rollback", "RuntimeTest.Record")
            .Activity("again", "RuntimeTest.Record")
            .Activity("fault", "Elsa.Fault", ("message", "retry failed"))
            .Chain("start", "boom").Connect("boom", "Failed", "rollback").Chain("rollback", "again", "fault")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        // The compensation runs with whatever follows it (here "again" once more, then the fault inside the compensation ends it).
        Assert.Equal(["boom", "rollback", "again", "rollback", "again"], _harness.Log.Entries);
        Assert.StartsWith("retry failed", (await _harness.Instances.GetAsync(id, default))!.Error);
    }

    [Fact]
    public async Task Fault_WhenWorkInsideAnElsaContainerRanAfterTheCompensationActivity_ShouldCompensateAgain()
    {
        // As above, but the retry's real work sits inside an Elsa.Sequence: the container has effects because of its child.
        var flow = System.Text.Json.Nodes.JsonNode.Parse(new FlowJson("rollback-retry-in-sequence-fault")
            .Activity("start", "Elsa.Start")
            .Activity("boom", "RuntimeTest.Fail")
            .Activity("rollback", "RuntimeTest.Record")
            .Activity("again", "Elsa.Sequence")
            .Activity("fault", "Elsa.Fault", ("message", "retry failed"))
            .Chain("start", "boom").Connect("boom", "Failed", "rollback").Chain("rollback", "again", "fault")
            .Compensation("rollback")
            .Build())!;
        var sequence = flow["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "again")!;
        sequence["activities"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["id"] = "againInside", ["type"] = "RuntimeTest.Record", ["version"] = 1 });
        var id = await _harness.StartAsync(flow.ToJsonString());

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        Assert.Equal(["boom", "rollback", "againInside", "rollback", "againInside"], _harness.Log.Entries);
    }

    [Fact]
    public async Task Fault_BeforeTheCompensationActivityRan_ShouldCompensate()
    {
        var json = new FlowJson("fault-compensates")
            .Activity("start", "Elsa.Start")
            .Activity("made", "RuntimeTest.Record")
            .Activity("fault", "Elsa.Fault")
            .Activity("rollback", "RuntimeTest.Record")
            .Chain("start", "made", "fault")
            .Compensation("rollback")
            .Build();
        var id = await _harness.StartAsync(json);

        var status = await _harness.Runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(20));

        await _harness.AssertStatusAsync(id, WorkflowStatus.Faulted, status);
        Assert.Equal(["made", "rollback"], _harness.Log.Entries);
        Assert.Equal(Engine.Activities.Fault.DefaultMessage, (await _harness.Instances.GetAsync(id, default))!.Error);
    }
}
