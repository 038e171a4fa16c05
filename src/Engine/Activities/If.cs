using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Runs <c>then</c> or <c>else</c> depending on a condition (Elsa's <c>Elsa.If</c>); completes with <c>True</c> or
/// <c>False</c> and <c>Done</c>, so a flowchart can connect either.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Evaluate a Boolean condition to determine which activity to execute next.", DisplayName = "If")]
[FlowNode(True, False, Outcomes.Done)]
public sealed class If : Activity
{
    public const string True = "True";
    public const string False = "False";

    [Input(Description = "The condition to evaluate.", Required = true)]
    public Input<bool>? Condition { get; set; }

    [Output(Description = "The value of the condition.")]
    public Output<bool>? Result { get; set; }

    public override async ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var condition = context.Get(Condition);
        context.Set(Result, condition);
        if (Composition.Child(context, condition ? "then" : "else") is { } branch
            && Composition.Stops(context, await context.RunChildAsync(branch), isLoop: false))
            return;
        await context.CompleteAsync(condition ? True : False, Outcomes.Done);
    }
}
