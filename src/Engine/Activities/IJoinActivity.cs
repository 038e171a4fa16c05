using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Marks an activity whose inbound branches the runtime merges before scheduling it (the join semantics live in the
/// runtime's flow execution, not in the activity, which just completes with <c>Done</c>).
/// </summary>
public interface IJoinActivity
{
    /// <summary>The merge mode; evaluated by the runtime when a branch arrives.</summary>
    Input<FlowJoinMode>? Mode { get; }
}
