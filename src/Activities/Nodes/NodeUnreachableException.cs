namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// A node could not be asked at all (ssh itself failed: host down, sshd stopped, key or known_hosts refused): the
/// answer is unknown, never "no". Callers must not decide anything (stopped, absent, safe to start) from it.
/// </summary>
public sealed class NodeUnreachableException(string node, string transport, NodeCommand command, string transportError)
    : Exception($"Could not ask node '{node}' ({transport}) `{command}`: the transport failed ({transportError}). " +
                "Its state is unknown, not absent: check that the node is up and reachable (sshd running, key and known_hosts accepted), then retry.")
{
    public string Node { get; } = node;
    public string Transport { get; } = transport;
    public string TransportError { get; } = transportError;
}
