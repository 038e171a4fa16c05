using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Tests.Json;

namespace Elsa.Migration.Engine.Tests.Expressions;

public sealed class ExpressionEvaluatorTests
{
    private readonly ExpressionEvaluator _evaluator = new(new JavaScriptOptions
    {
        Timeout = TimeSpan.FromMilliseconds(500),
        MemoryLimitBytes = 8 * 1024 * 1024,
        MaxStatements = 1_000_000,
        MaxRecursionDepth = 50,
    });

    private readonly Dictionary<string, JsonNode?> _variables = new() { ["VmName"] = "web01", ["Counter"] = 1 };
    private readonly ExpressionScope _scope;

    public ExpressionEvaluatorTests() =>
        _scope = new ExpressionScope(_variables, new Dictionary<string, string> { ["v-vmname"] = "VmName", ["v-counter"] = "Counter" },
            new Dictionary<string, JsonNode?> { ["VmId"] = "100", ["Limit"] = 5 });

    private object? Evaluate(string type, JsonNode? value, Type target) =>
        _evaluator.Evaluate(new Expression(type, value), target, _scope, CancellationToken.None);

    private object? Js(string script, Type target) => Evaluate("JavaScript", script, target);

    [Theory]
    [InlineData("\"30\"", typeof(int), 30)]
    [InlineData("30", typeof(int), 30)]
    [InlineData("\"9000000000\"", typeof(long), 9_000_000_000L)]
    [InlineData("\"true\"", typeof(bool), true)]
    [InlineData("false", typeof(bool), false)]
    [InlineData("\"2.5\"", typeof(double), 2.5)]
    [InlineData("\"scsi0\"", typeof(string), "scsi0")]
    [InlineData("42", typeof(string), "42")]
    [InlineData("\"Native\"", typeof(MirrorStrategy), MirrorStrategy.Native)]
    [InlineData("\"backuppasses\"", typeof(MirrorStrategy), MirrorStrategy.BackupPasses)]
    public void Evaluate_WhenLiteral_ShouldConvertToTheTargetType(string json, Type target, object expected) =>
        Assert.Equal(expected, Evaluate("Literal", JsonNode.Parse(json), target));

    [Theory]
    [InlineData("00:05:00", 300)]
    [InlineData("1.00:00:00", 86_400)]
    [InlineData("PT30M", 1_800)]
    public void Evaluate_WhenTimeSpanLiteral_ShouldParseConstantAndIsoForms(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Evaluate("Literal", text, typeof(TimeSpan)));

    [Theory]
    [InlineData("abc", typeof(int))]
    [InlineData("abc", typeof(TimeSpan))]
    [InlineData("yes", typeof(bool))]
    [InlineData("Fastest", typeof(MirrorStrategy))]
    public void Evaluate_WhenLiteralDoesNotFit_ShouldThrowSayingTheType(string text, Type target)
    {
        var e = Assert.Throws<ExpressionException>(() => Evaluate("Literal", text, target));
        Assert.Contains($"\"{text}\" is not a valid", e.Message);
    }

    [Fact]
    public void Evaluate_WhenTheTargetIsObject_ShouldKeepJsonKinds()
    {
        Assert.Equal(42L, Evaluate("Literal", 42, typeof(object)));
        Assert.Equal(2.5, Evaluate("Literal", 2.5, typeof(object)));
        Assert.Equal("x", Evaluate("Literal", "x", typeof(object)));
        Assert.Equal(42L, Js("41 + 1", typeof(object)));
    }

    [Fact]
    public void Evaluate_WhenEmptyLiteralForAValueType_ShouldBeUnset() =>
        Assert.Null(Evaluate("Literal", "", typeof(int)));

    [Fact]
    public void Evaluate_WhenObjectOrJsonExpression_ShouldDeserializeTheJsonText()
    {
        var list = Evaluate("Object", """["a","b"]""", typeof(List<string>));
        var record = Evaluate("Json", """{"name":"disk0","sizeBytes":1024}""", typeof(DiskRecord));
        var node = Evaluate("Json", """{"x":1}""", typeof(JsonObject));

        Assert.Equal(["a", "b"], Assert.IsType<List<string>>(list));
        Assert.Equal(new DiskRecord("disk0", 1024), record);
        Assert.Equal(1, ((JsonObject)node!)["x"]!.GetValue<int>());
    }

    [Fact]
    public void Evaluate_WhenVariableExpression_ShouldReadByIdOrByName()
    {
        Assert.Equal("web01", Evaluate("Variable", "v-vmname", typeof(string)));
        Assert.Equal("web01", Evaluate("Variable", "VmName", typeof(string)));
        Assert.Equal(1, Evaluate("Variable", JsonNode.Parse("""{"id":"v-counter","name":"Counter"}"""), typeof(int)));
        Assert.Throws<ExpressionException>(() => Evaluate("Variable", "Nope", typeof(string)));
    }

    [Fact]
    public void Evaluate_WhenInputExpression_ShouldReadTheWorkflowInputByName()
    {
        Assert.Equal(100, Evaluate("Input", "VmId", typeof(int)));
        Assert.Null(Evaluate("Input", "Missing", typeof(string)));
    }

    [Fact]
    public void Evaluate_WhenJavaScriptUsesElsaHelpers_ShouldReadAndWriteVariablesAndInputs()
    {
        Assert.Equal("web01-100", Js("getVariable('VmName') + '-' + getInput('VmId')", typeof(string)));
        Assert.Equal(6, Js("getInput('Limit') + getCounter()", typeof(int)));

        Js("setVariable('Counter', getVariable('Counter') + 41)", typeof(object));
        Js("setVmName('db02')", typeof(object));

        Assert.Equal(42, _variables["Counter"]!.GetValue<int>());
        Assert.Equal("db02", _variables["VmName"]!.GetValue<string>());
        Assert.Equal("db02", Js("getVmName()", typeof(string)));
    }

    [Fact]
    public void Evaluate_WhenJavaScriptReturnsStructures_ShouldConvertToTheTargetType()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), Js("'00:0' + (2 + 3) + ':00'", typeof(TimeSpan)));
        Assert.True((bool)Js("getCounter() === 1", typeof(bool))!);
        Assert.Equal(new DiskRecord("d", 7), Js("({ name: 'd', sizeBytes: 7 })", typeof(DiskRecord)));
        Assert.Equal(["x", "y"], Assert.IsType<List<string>>(Js("['x', 'y']", typeof(List<string>))));
        Assert.Null(Js("undefined", typeof(string)));
    }

    [Fact]
    public void Evaluate_WhenJavaScriptLoopsForever_ShouldStopWithTheTimeoutLimit()
    {
        var evaluator = new ExpressionEvaluator(new JavaScriptOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxStatements = int.MaxValue });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var e = Assert.Throws<ExpressionException>(() =>
            evaluator.Evaluate(new Expression("JavaScript", "while (true) { }"), typeof(int), _scope, CancellationToken.None));

        Assert.Equal(JavaScriptLimit.Timeout, e.Limit);
        Assert.Contains("TimeoutInterval", e.Message);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Evaluate_WhenJavaScriptExceedsTheStatementLimit_ShouldSaySo()
    {
        var evaluator = new ExpressionEvaluator(new JavaScriptOptions { MaxStatements = 100, Timeout = TimeSpan.FromSeconds(10) });

        var e = Assert.Throws<ExpressionException>(() =>
            evaluator.Evaluate(new Expression("JavaScript", "let i = 0; for (;;) { i++; }"), typeof(int), _scope, CancellationToken.None));

        Assert.Equal(JavaScriptLimit.Statements, e.Limit);
        Assert.Contains("MaxStatements", e.Message);
    }

    [Fact]
    public void Evaluate_WhenJavaScriptRecursesTooDeep_ShouldStopWithTheRecursionLimit()
    {
        var e = Assert.Throws<ExpressionException>(() => Js("function f(n) { return f(n + 1) + 1; } f(0)", typeof(int)));

        Assert.Equal(JavaScriptLimit.Recursion, e.Limit);
        Assert.Contains("LimitRecursion", e.Message);
    }

    [Fact]
    public void Evaluate_WhenJavaScriptAllocatesTooMuch_ShouldStopWithTheMemoryLimit()
    {
        var e = Assert.Throws<ExpressionException>(() =>
            Js("const parts = []; for (let i = 0; i < 10000000; i++) { parts.push('x'.repeat(1024) + i); } parts.length", typeof(int)));

        Assert.Equal(JavaScriptLimit.Memory, e.Limit);
        Assert.Contains("MemoryLimit", e.Message);
    }

    [Theory]
    [InlineData("typeof System")]
    [InlineData("typeof importNamespace")]
    [InlineData("typeof clrHelper")]
    public void Evaluate_WhenJavaScriptLooksForTheClr_ShouldFindNothing(string script) =>
        Assert.Equal("undefined", Js(script, typeof(string)));

    [Fact]
    public void Evaluate_WhenJavaScriptCallsTheClr_ShouldFailAsAJavaScriptError()
    {
        var e = Assert.Throws<ExpressionException>(() => Js("System.IO.File.ReadAllText('/etc/passwd')", typeof(string)));

        Assert.Null(e.Limit);
        Assert.Contains("System is not defined", e.Message);
    }

    [Fact]
    public void Evaluate_WhenJavaScriptIsNotStrict_ShouldRejectSloppyCode()
    {
        var e = Assert.Throws<ExpressionException>(() => Js("undeclared = 5", typeof(int)));

        Assert.Contains("undeclared is not defined", e.Message);
    }

    [Theory]
    [InlineData("CSharp")]
    [InlineData("Liquid")]
    public void Evaluate_WhenTheExpressionTypeIsNotExecuted_ShouldThrowNamingIt(string type)
    {
        var e = Assert.Throws<ExpressionException>(() => Evaluate(type, "1 + 1", typeof(int)));

        Assert.Contains($"'{type}' is not executed", e.Message);
        Assert.DoesNotContain(type, _evaluator.SupportedTypes);
    }

    [Fact]
    public void CheckSyntax_WhenJavaScriptDoesNotParse_ShouldReturnThePosition()
    {
        var error = JavaScriptSyntax.Check("getVmName(\n  + )");

        Assert.NotNull(error);
        Assert.Equal(2, error.Line);
        Assert.Equal(5, error.Column);
        Assert.Null(JavaScriptSyntax.Check("getVmName() + '-x'"));
    }

    [Fact]
    public void Evaluate_WhenCancelled_ShouldThrowOperationCanceled()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            _evaluator.Evaluate(new Expression("JavaScript", "1"), typeof(int), _scope, cancellation.Token));
    }

    public sealed record DiskRecord(string Name, long SizeBytes);
}
