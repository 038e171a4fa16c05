namespace Elsa.Migration.Engine.Activities;

/// <summary>How <see cref="FlowJoin"/> merges the branches that reach it (Elsa's <c>FlowJoinMode</c>).</summary>
public enum FlowJoinMode
{
    /// <summary>Continue once every inbound branch that can still arrive has arrived.</summary>
    WaitAll,
    /// <summary>Continue with the first branch that arrives; the others are cancelled.</summary>
    WaitAny,
    /// <summary>Continue only once every inbound connection has delivered (Elsa's strict join): a branch that was not
    /// taken means the join never runs.</summary>
    WaitAllInbound,
}
