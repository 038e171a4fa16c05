using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Activities.Inventory;

/// <summary>How to reach a node described by the inventory: its command transport and its UNIX-socket connector.</summary>
public static class NodeDefinitionExtensions
{
    /// <summary>True for a node on this machine (<c>local</c> transport).</summary>
    public static bool IsLocal(this NodeDefinition node) => (node.Transport?.Kind ?? "local") == "local";

    /// <summary>The node's command transport: <see cref="LocalTransport"/>, or <see cref="SshTransport"/> from its ssh settings.</summary>
    public static INodeTransport CreateTransport(this NodeDefinition node)
    {
        var t = node.Transport ?? new TransportDefinition();
        return t.Kind switch
        {
            "local" => new LocalTransport(),
            "ssh" => new SshTransport(new SshEndpoint(t.Host ?? "", t.Port, t.User ?? "", t.IdentityFile ?? "", t.KnownHostsFile ?? "")),
            _ => throw new ArgumentException($"Node '{node.Name}': transport kind '{t.Kind}' is not 'local' or 'ssh'.", nameof(node)),
        };
    }

    /// <summary>A command executor for the node (local or SSH, per its transport).</summary>
    public static NodeExecutor CreateExecutor(this NodeDefinition node, ILogger? logger = null) =>
        new(node.Name, node.CreateTransport(), logger);

    /// <summary>A connector to UNIX sockets (QMP, guest agent) on the node.</summary>
    public static NodeSocketConnector CreateSocketConnector(this NodeDefinition node, ILogger? logger = null) =>
        new(node.Name, node.CreateTransport(), logger);
}
