using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Faults the workflow instance (Elsa's <c>Elsa.Fault</c>): it has no outcome ports and throws a <see cref="FaultException"/>
/// carrying its inputs; the instance ends Faulted with <see cref="Message"/> as its incident. Reached after the
/// definition's compensation activity (e.g. Rollback → Fault), it does not run the compensation a second time
/// (see <c>Runtime/README.md</c>).
/// </summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Faults the workflow: the instance ends Faulted with the message as its incident.", DisplayName = "Fault")]
[FlowNode]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Fault : Activity
{
    /// <summary>Used when the message evaluates to nothing, so an incident never reads empty.</summary>
    public const string DefaultMessage = "The workflow faulted (Elsa.Fault without a message).";

    [Input(Description = "Identifies the kind of fault, e.g. RolledBack.", Order = 1)]
    public Input<string>? Code { get; set; }

    [Input(Description = "The incident's message: what went wrong and what to do.", UIHint = InputUIHints.MultiLine, Order = 2)]
    public Input<string>? Message { get; set; }

    [Input(Description = "Groups codes of one area, e.g. Migration.", Order = 3)]
    public Input<string>? Category { get; set; }

    [Input(Description = "A short machine-readable cause.", Order = 4)]
    public Input<string>? Reason { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var message = context.Get(Message);
        throw new FaultException(context.Get(Code) ?? "", context.Get(Category) ?? "", context.Get(Reason) ?? "",
            string.IsNullOrWhiteSpace(message) ? DefaultMessage : message);
    }
}
