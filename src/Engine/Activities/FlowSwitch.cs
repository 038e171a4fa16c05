using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>Leaves by the port named after the first (or every) case whose condition holds, else <c>Default</c>
/// (Elsa's <c>Elsa.FlowSwitch</c>). Its ports are the case labels.</summary>
[Activity(BuiltIn.Namespace, BuiltIn.BranchingCategory, "Evaluate a set of case conditions and schedule the activity for a matching case.", DisplayName = "Switch (flow)")]
[FlowNode(Default)]
[DynamicOutcomes("cases")]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class FlowSwitch : Activity
{
    public const string Default = "Default";

    [Input(Description = "MatchFirst: leave by the first matching case. MatchAny: by every matching case.", DefaultValue = SwitchMode.MatchFirst)]
    public Input<SwitchMode>? Mode { get; set; }

    public override ValueTask ExecuteAsync(ActivityExecutionContext context)
    {
        var matches = SwitchCases.Matching(context, SwitchCases.Read(Node), context.Get(Mode));
        return context.CompleteAsync(matches.Count > 0 ? [.. matches.Select(m => m.Label)] : [Default]);
    }
}
