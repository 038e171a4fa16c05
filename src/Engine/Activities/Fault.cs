using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Faults the workflow with a code and a message (Elsa's <c>Elsa.Fault</c>): the instance runs its compensation and ends Faulted.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Faults the workflow.", DisplayName = "Fault")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Fault : Activity
{
    [Input(Description = "The code that categorizes the fault.")]
    public Input<string>? Code { get; set; }

    [Input(Description = "The message that describes the fault.", UIHint = "multiline")]
    public Input<string>? Message { get; set; }

    [Input(Description = "The category of the fault (e.g. Business, System).")]
    public Input<string>? Category { get; set; }

    [Input(Description = "The reason for the fault, e.g. what the operator should check.")]
    public Input<string>? Reason { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context) =>
        throw new WorkflowFaultException(context.Get(Code), context.Get(Message) ?? "The workflow faulted.", context.Get(Category), context.Get(Reason));
}

/// <summary>The fault an <see cref="Fault"/> activity raised, with Elsa's code, category and reason.</summary>
public sealed class WorkflowFaultException(string? code, string message, string? category, string? reason)
    : Exception(string.Join(" ", new[] { code is { Length: > 0 } ? $"[{code}]" : null, message, category is { Length: > 0 } ? $"(category {category})" : null, reason is { Length: > 0 } ? $"Reason: {reason}" : null }.Where(p => p is not null)))
{
    public string? Code { get; } = code;
    public string? Category { get; } = category;
    public string? Reason { get; } = reason;
}
