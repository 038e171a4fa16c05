using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs a JavaScript script in the sandbox (Elsa's <c>Elsa.RunJavaScript</c>) with Elsa's helpers
/// (<c>getX()/setX()</c> for variables and inputs, <c>getWorkflowInstanceId()</c>, ...); its completion value is <see cref="Result"/>.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.ScriptingCategory, "Executes JavaScript code.", DisplayName = "Run JavaScript")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class RunJavaScript : CodeActivity
{
    [Input(Description = "The script to run.", UIHint = InputUIHints.CodeEditor)]
    public Input<string>? Script { get; set; }

    [Output(Description = "The value of the script's last expression.")]
    public Output<object>? Result { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var script = context.Get(Script);
        if (!string.IsNullOrWhiteSpace(script))
            context.Set(Result, context.Get(new Input<object>(new Expression(Expression.Types.JavaScript, script)))!);
        return ValueTask.CompletedTask;
    }
}
