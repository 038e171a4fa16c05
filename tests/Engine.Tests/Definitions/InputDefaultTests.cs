using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Tests.Activities;

namespace Elsa.Migration.Engine.Tests.Definitions;

/// <summary>Each default is written once, in <see cref="InputAttribute.DefaultValue"/>: the registry converts it to the
/// input's type and every <c>context.Get</c> applies it; an enum input's dropdown options are the enum's names.</summary>
public sealed class InputDefaultTests
{
    private readonly ActivityRegistry _registry = ActivityRegistry.FromTypes([typeof(DefaultedActivity)]);

    [Fact]
    public void Get_WhenAnInputIsAbsent_ShouldTakeTheAttributeDefaultConvertedToTheInputsType()
    {
        var (activity, context) = Create(new Dictionary<string, Expression>());

        Assert.Equal(7L, context.Get(activity.Limit));
        Assert.Equal(TimeSpan.FromMinutes(5), context.Get(activity.Wait));
        Assert.Equal(Tempo.Careful, context.Get(activity.Pace));
        Assert.Equal(Tempo.Careful, context.Get(activity.NamedPace));
        Assert.Equal(["Done", "Retry"], context.Get(activity.Outcomes)!);
        Assert.Equal(600, context.Get(activity.TimeoutSeconds));
        Assert.Equal(0, context.Get(activity.Plain)); // no default: the type's
        var inputs = _registry.Find("Lab.DefaultedActivity")!.Inputs.ToDictionary(i => i.Name);
        Assert.IsType<long>(inputs["limit"].DefaultValue);
        Assert.IsType<TimeSpan>(inputs["wait"].DefaultValue);
        Assert.IsType<Tempo>(inputs["namedPace"].DefaultValue);
        Assert.IsType<List<string>>(inputs["outcomes"].DefaultValue);
    }

    [Theory]
    [InlineData("Literal", "\"\"")]
    [InlineData("Literal", "\"  \"")]
    [InlineData("Literal", "null")]
    [InlineData("Input", "\"NotGiven\"")] // a workflow input the instance was not started with
    [InlineData("JavaScript", "\"null\"")]
    public void Get_WhenAnInputIsEmpty_ShouldTakeTheDefault(string type, string value)
    {
        var empty = new Expression(type, JsonNode.Parse(value));
        var (activity, context) = Create(new Dictionary<string, Expression> { ["limit"] = empty, ["pace"] = empty, ["timeoutSeconds"] = empty });

        Assert.Equal((7L, Tempo.Careful, 600), (context.Get(activity.Limit), context.Get(activity.Pace), context.Get(activity.TimeoutSeconds)));
    }

    [Theory]
    [InlineData("0", 600)]
    [InlineData("-5", 600)]
    [InlineData("1", 1)]
    [InlineData("30", 30)]
    public void Get_WhenZeroOrLessMeansDefault_ShouldReplaceOnlyZeroOrLess(string given, int expected)
    {
        var (activity, context) = Create(new Dictionary<string, Expression> { ["timeoutSeconds"] = Expression.Literal(given) });

        Assert.Equal(expected, context.Get(activity.TimeoutSeconds));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-1", -1L)]
    [InlineData("12", 12L)]
    public void Get_WhenAValueIsGiven_ShouldKeepIt(string given, long expected)
    {
        var (activity, context) = Create(new Dictionary<string, Expression> { ["limit"] = Expression.Literal(given), ["pace"] = Expression.Literal("Fast") });

        Assert.Equal((expected, Tempo.Fast), (context.Get(activity.Limit), context.Get(activity.Pace)));
    }

    [Fact]
    public void Get_OfAListDefault_ShouldGiveEachActivityItsOwnCopy()
    {
        var (activity, context) = Create(new Dictionary<string, Expression>());

        context.Get(activity.Outcomes)!.Add("Changed");

        Assert.Equal(["Done", "Retry"], context.Get(activity.Outcomes)!);
    }

    [Fact]
    public void Descriptor_OfAnEnumInput_ShouldOfferTheEnumsNamesInADropdown()
    {
        var inputs = _registry.Find("Lab.DefaultedActivity")!.Inputs.ToDictionary(i => i.Name);

        Assert.Equal(Enum.GetNames<Tempo>(), inputs["pace"].Options);
        Assert.Equal(["Fast", "Careful", "Paused"], inputs["optionalPace"].Options); // a nullable enum too
        Assert.Equal([InputUIHints.Dropdown, InputUIHints.Dropdown], [inputs["pace"].UIHint, inputs["optionalPace"].UIHint]);
        Assert.Null(inputs["limit"].Options);
    }

    [Theory]
    [InlineData(typeof(UnconvertibleDefault), "UnconvertibleDefault.Count: DefaultValue soon (String) does not convert to Int32")]
    [InlineData(typeof(ZeroOrLessOnText), "ZeroOrLessOnText.Name: ZeroOrLessMeansDefault needs a number input, not String")]
    [InlineData(typeof(ZeroOrLessWithZeroDefault), "ZeroOrLessWithZeroDefault.Seconds: ZeroOrLessMeansDefault needs a positive DefaultValue, not 0")]
    [InlineData(typeof(ZeroOrLessWithoutDefault), "ZeroOrLessWithoutDefault.Seconds: ZeroOrLessMeansDefault needs a DefaultValue")]
    public void Registry_WhenAnInputAttributeCannotHoldItsDefault_ShouldFailNamingTheInput(Type activity, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ActivityRegistry.FromTypes([activity]));

        Assert.Contains(message, e.Message);
        Assert.EndsWith("Fix its [Input] attribute.", e.Message);
    }

    private (DefaultedActivity Activity, FakeActivityExecutionContext Context) Create(Dictionary<string, Expression> inputs)
    {
        var node = new ActivityNode("d1", "Lab.DefaultedActivity", 1, null, inputs, new Dictionary<string, string>(), new JsonObject());
        var activity = Assert.IsType<DefaultedActivity>(_registry.Create(node));
        return (activity, new FakeActivityExecutionContext(activity, new Dictionary<string, string>(), TimeProvider.System));
    }

    public enum Tempo { Fast, Careful, Paused }

    [Activity("Lab")]
    public sealed class DefaultedActivity : CodeActivity
    {
        [Input(DefaultValue = 7)] public Input<long>? Limit { get; set; }
        [Input(DefaultValue = "00:05:00")] public Input<TimeSpan>? Wait { get; set; }
        [Input(DefaultValue = Tempo.Careful)] public Input<Tempo>? Pace { get; set; }
        [Input(DefaultValue = "careful")] public Input<Tempo>? NamedPace { get; set; }
        [Input] public Input<Tempo?>? OptionalPace { get; set; }
        [Input(DefaultValue = new[] { "Done", "Retry" })] public Input<List<string>>? Outcomes { get; set; }
        [Input(DefaultValue = 600, ZeroOrLessMeansDefault = true)] public Input<int>? TimeoutSeconds { get; set; }
        [Input] public Input<int>? Plain { get; set; }

        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }

    // Private: only this test registers them (a scan of the test assembly's exported types never meets them).
    [Activity("Lab")]
    private sealed class UnconvertibleDefault : CodeActivity
    {
        [Input(DefaultValue = "soon")] public Input<int>? Count { get; set; }
        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }

    [Activity("Lab")]
    private sealed class ZeroOrLessOnText : CodeActivity
    {
        [Input(DefaultValue = "x", ZeroOrLessMeansDefault = true)] public Input<string>? Name { get; set; }
        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }

    [Activity("Lab")]
    private sealed class ZeroOrLessWithZeroDefault : CodeActivity
    {
        [Input(DefaultValue = 0, ZeroOrLessMeansDefault = true)] public Input<int>? Seconds { get; set; }
        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }

    [Activity("Lab")]
    private sealed class ZeroOrLessWithoutDefault : CodeActivity
    {
        [Input(ZeroOrLessMeansDefault = true)] public Input<int>? Seconds { get; set; }
        protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
    }
}
