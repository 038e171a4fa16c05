using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Activities;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Tests.Json;

namespace Elsa.Migration.Engine.Tests.Definitions;

public sealed class ActivityRegistryTests
{
    private readonly ActivityRegistry _registry = ActivityRegistry.FromTypes([typeof(DescribedActivity), typeof(ZfsReplicate), typeof(NotAnActivity), typeof(AbstractActivity)]);

    [Fact]
    public void Descriptors_WhenBuiltFromAttributes_ShouldDescribeTheActivity()
    {
        var descriptor = _registry.Find("Lab.DescribedActivity")!;

        Assert.Equal(("Lab", "DescribedActivity", 2, "Testing", "Described Activity", "Exercises every attribute."),
            (descriptor.Namespace, descriptor.Name, descriptor.Version, descriptor.Category, descriptor.DisplayName, descriptor.Description));
        Assert.Equal(typeof(DescribedActivity), descriptor.ClrType);
        Assert.Equal(["Ok", "Retry", "Failed"], descriptor.Outcomes);
        Assert.Equal(RecoveryPolicy.Rerun, descriptor.Recovery);
        Assert.False(descriptor.IsStart);
        Assert.False(descriptor.IsTerminal);
    }

    [Fact]
    public void Descriptors_WhenBuiltFromInputProperties_ShouldMapNamesTypesAndUIHints()
    {
        var inputs = _registry.Find("Lab.DescribedActivity")!.Inputs.ToDictionary(i => i.Name);

        Assert.Equal(["vmName", "notes", "count", "bytes", "force", "ratio", "timeout", "payload", "mode", "targets"], inputs.Keys);
        Assert.Equal(
            [("String", "singleline"), ("String", "multiline"), ("Int32", "singleline"), ("Int64", "singleline"), ("Boolean", "checkbox"),
             ("Double", "singleline"), ("TimeSpan", "singleline"), ("Object", "singleline"), ("CopyMode", "dropdown"), ("String[]", "multi-text")],
            inputs.Values.Select(i => (i.TypeName, i.UIHint)));
        Assert.Equal(["Fast", "Careful"], inputs["mode"].Options);
        Assert.Equal(("VmName", "VM name", "The VM to act on.", true, true), (inputs["vmName"].PropertyName, inputs["vmName"].DisplayName, inputs["vmName"].Description, inputs["vmName"].Required, inputs["vmName"].IsSensitive));
        Assert.Equal("Bytes", inputs["bytes"].DisplayName);
        Assert.Equal(5, inputs["count"].DefaultValue);
        Assert.Equal(typeof(TimeSpan), inputs["timeout"].ValueType);
    }

    [Fact]
    public void Descriptors_WhenBuiltFromOutputProperties_ShouldIncludeInheritedResult()
    {
        var outputs = _registry.Find("Lab.DescribedActivity")!.Outputs;

        Assert.Equal([("copied", "Int64"), ("result", "String")], outputs.Select(o => (o.Name, o.TypeName)));
        Assert.Equal("Bytes copied.", outputs[0].Description);
    }

    [Fact]
    public void Descriptors_WhenAttributesAreAbsent_ShouldUseDefaults()
    {
        var descriptor = _registry.Find("VmMigration.ZfsReplicate")!;

        Assert.Equal(RecoveryPolicy.Compensate, descriptor.Recovery);
        Assert.Equal("Zfs Replicate", descriptor.DisplayName);
        Assert.Equal(2, _registry.Descriptors.Count);
    }

    [Fact]
    public void Descriptors_OfBuiltInActivities_ShouldUseElsasTypeAndInputNames()
    {
        var registry = ActivityRegistry.FromAssemblies(typeof(Start).Assembly);

        Assert.Equal(["Elsa.Break", "Elsa.Complete", "Elsa.Correlate", "Elsa.Cron", "Elsa.Delay", "Elsa.DispatchWorkflow", "Elsa.End", "Elsa.Event",
                "Elsa.ExecuteWorkflow", "Elsa.Fault", "Elsa.Finish", "Elsa.FlowDecision", "Elsa.FlowFork", "Elsa.FlowJoin", "Elsa.FlowNode",
                "Elsa.FlowSwitch", "Elsa.Flowchart", "Elsa.For", "Elsa.ForEach", "Elsa.If", "Elsa.Parallel", "Elsa.ParallelForEach", "Elsa.PublishEvent", "Elsa.RunJavaScript",
                "Elsa.Sequence", "Elsa.SetName", "Elsa.SetOutput", "Elsa.SetVariable", "Elsa.Start", "Elsa.StartAt", "Elsa.Switch", "Elsa.Timer", "Elsa.While",
                "Elsa.WriteLine"],
            registry.Descriptors.Select(d => d.TypeName));
        Assert.True(registry.Find("Elsa.Start")!.IsStart);
        Assert.True(registry.Find("Elsa.Finish")!.IsTerminal);
        Assert.Empty(registry.Find("Elsa.Finish")!.Outcomes);
        Assert.Empty(registry.Find("Elsa.Fault")!.Outcomes);
        Assert.Equal(["code", "message", "category", "reason"], registry.Find("Elsa.Fault")!.Inputs.Select(i => i.Name));
        Assert.Equal(["True", "False"], registry.Find("Elsa.FlowDecision")!.Outcomes);
        Assert.Equal("condition", Assert.Single(registry.Find("Elsa.FlowDecision")!.Inputs).Name);
        Assert.Equal("branches", registry.Find("Elsa.FlowFork")!.DynamicOutcomesInput);
        Assert.True(registry.Find("Elsa.FlowJoin")!.IsJoin);
        Assert.Equal(["WaitAll", "WaitAny", "WaitAllInbound"], registry.Find("Elsa.FlowJoin")!.Inputs.Single(i => i.Name == "mode").Options);
        Assert.Equal(["variable", "value"], registry.Find("Elsa.SetVariable")!.Inputs.Select(i => i.Name));
        Assert.Equal(("timeSpan", "TimeSpan"), registry.Find("Elsa.Delay")!.Inputs.Select(i => (i.Name, i.TypeName)).Single());
        Assert.Equal("text", Assert.Single(registry.Find("Elsa.WriteLine")!.Inputs).Name);
        // Containers run other activities (possibly not idempotent ones) and ExecuteWorkflow/DispatchWorkflow start
        // instances: recovery never re-runs them. Every other built-in is safe to run again.
        string[] neverRerun = ["Elsa.DispatchWorkflow", "Elsa.ExecuteWorkflow", "Elsa.Flowchart", "Elsa.FlowNode", "Elsa.For", "Elsa.ForEach", "Elsa.If",
            "Elsa.Parallel", "Elsa.ParallelForEach", "Elsa.Sequence", "Elsa.Switch", "Elsa.While"];
        Assert.All(registry.Descriptors, d => Assert.Equal(neverRerun.Contains(d.TypeName) ? RecoveryPolicy.Compensate : RecoveryPolicy.Rerun, d.Recovery));
    }

    [Fact]
    public void FromAssemblies_WhenTwoAssembliesClaimOneTypeName_ShouldFailNamingBothClasses()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ActivityRegistry.FromAssemblies(typeof(Start).Assembly, typeof(ActivityRegistryTests).Assembly));

        Assert.Contains("'Elsa.WriteLine'", e.Message);
        Assert.Contains(typeof(WriteLine).FullName!, e.Message);
        Assert.Contains(typeof(ImpostorWriteLine).FullName!, e.Message);
    }

    [Fact]
    public void Create_WhenANodeHasExpressions_ShouldAssignInputsDefaultsAndOutputs()
    {
        var node = new ActivityNode("a1", "Lab.DescribedActivity", 2, "A",
            new Dictionary<string, Expression> { ["vmName"] = new("JavaScript", JsonValue.Create("getVmName()")) },
            new Dictionary<string, string> { ["copied"] = "v-bytes" },
            new JsonObject());

        var activity = Assert.IsType<DescribedActivity>(_registry.Create(node));

        Assert.Equal(("a1", "Lab.DescribedActivity"), (activity.Id, activity.Type));
        Assert.Equal("JavaScript", activity.VmName!.Expression.Type);
        Assert.Equal(("Literal", null, 5), (activity.Count!.Expression.Type, activity.Count.Expression.Value, activity.Count.Default!.Value));
        Assert.Equal(CopyMode.Careful, activity.Mode!.Default!.Value);
        Assert.Equal(("Literal", null, null), (activity.Notes!.Expression.Type, activity.Notes.Expression.Value, activity.Notes.Default));
        Assert.Equal("v-bytes", activity.Copied!.VariableId);
        Assert.NotNull(activity.Result);
        Assert.Null(activity.Result.VariableId);
    }

    [Fact]
    public void Create_WhenTheTypeIsUnknown_ShouldSayToValidateFirst()
    {
        var node = new ActivityNode("x", "Lab.Nope", 1, null, new Dictionary<string, Expression>(), new Dictionary<string, string>(), new JsonObject());

        var e = Assert.Throws<InvalidOperationException>(() => _registry.Create(node));

        Assert.Contains("'Lab.Nope'", e.Message);
    }

    public enum CopyMode { Fast, Careful }

    [Activity("Lab", "Testing", "Exercises every attribute.", Version = 2)]
    [FlowNode("Ok", "Retry", Outcomes.Failed)]
    [Recovery(RecoveryPolicy.Rerun)]
    public sealed class DescribedActivity : CodeActivity<string>
    {
        [Input(DisplayName = "VM name", Description = "The VM to act on.", Required = true, IsSensitive = true)]
        public Input<string>? VmName { get; set; }

        [Input(UIHint = InputUIHints.MultiLine)]
        public Input<string>? Notes { get; set; }

        [Input(DefaultValue = 5)]
        public Input<int>? Count { get; set; }

        [Input] public Input<long>? Bytes { get; set; }
        [Input] public Input<bool>? Force { get; set; }
        [Input] public Input<double>? Ratio { get; set; }
        [Input] public Input<TimeSpan>? Timeout { get; set; }
        [Input] public Input<object>? Payload { get; set; }

        [Input(DefaultValue = CopyMode.Careful)]
        public Input<CopyMode>? Mode { get; set; }

        [Input] public Input<List<string>>? Targets { get; set; }

        [Output(Description = "Bytes copied.")]
        public Output<long>? Copied { get; set; }

        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }

    public sealed class NotAnActivity;

    [Activity("Lab")]
    public abstract class AbstractActivity : CodeActivity;

    /// <summary>Claims Elsa.WriteLine: only ever scanned by the duplicate test (other tests register types explicitly).</summary>
    [Activity("Elsa", TypeName = "WriteLine")]
    public sealed class ImpostorWriteLine : CodeActivity
    {
        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }
}
