using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Merges concurrent branches (Elsa's <c>Elsa.FlowJoin</c>); the runtime applies <see cref="Mode"/>.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Merge multiple branches into a single branch of execution.", DisplayName = "Join (flow)")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FlowJoin : CodeActivity, IJoinActivity
{
    /// <summary>WaitAll, WaitAny or WaitAllInbound.</summary>
    [Input(Description = "WaitAll: continue when every inbound branch that can still arrive has arrived. WaitAny: continue with the first one. " +
                         "WaitAllInbound: continue only when every inbound connection has delivered.",
        DefaultValue = FlowJoinMode.WaitAll)]
    public Input<FlowJoinMode>? Mode { get; set; }

    protected override ValueTask ExecuteCodeAsync(ActivityExecutionContext context) => ValueTask.CompletedTask;
}
