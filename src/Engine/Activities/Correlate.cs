using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Sets the instance's correlation id (Elsa's <c>Elsa.Correlate</c>), e.g. the VM it works on, to find it by later.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.PrimitivesCategory, "Set the CorrelationId of the workflow to a given value.", DisplayName = "Correlate")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class Correlate : CodeActivity
{
    [Input(DisplayName = "Correlation ID", Description = "An expression that evaluates to the value to store as the correlation id.")]
    public Input<string>? CorrelationId { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        context.CorrelationId = context.Get(CorrelationId);
        return ValueTask.CompletedTask;
    }
}
