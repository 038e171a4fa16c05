using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// Connects a <see cref="QmpClient"/> to a QMP socket on any node of the inventory: directly on a local node, through
/// <c>ssh ... socat</c> on a remote one (see <see cref="NodeSocketConnector"/>). Retries while the socket does not exist
/// or refuses (QEMU still starting) until <see cref="QmpClientOptions.ConnectTimeout"/>, then reads the greeting and
/// negotiates capabilities. Disposing the client closes the connection (and ends the ssh process).
/// </summary>
public static class QmpConnector
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The QMP client of VM <paramref name="vmId"/> on node <paramref name="nodeName"/> (its socket from <see cref="SiteInventory.RuntimePaths"/>).</summary>
    public static Task<QmpClient> ConnectVmAsync(SiteInventory inventory, string nodeName, string vmId, QmpClientOptions? options = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var node = inventory.GetNode(nodeName);
        var socket = inventory.RuntimePaths(vmId, nodeName).QmpSocket;
        options ??= new QmpClientOptions { Name = $"{node.Name}/{vmId}" };
        return ConnectAsync(node, socket, options, logger, cancellationToken);
    }

    /// <summary>A QMP client on <paramref name="socketPath"/> of <paramref name="node"/>.</summary>
    public static Task<QmpClient> ConnectAsync(NodeDefinition node, string socketPath, QmpClientOptions? options = null,
        ILogger? logger = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(node.CreateSocketConnector(logger), socketPath, options, logger, cancellationToken);

    /// <summary>A QMP client on <paramref name="socketPath"/> through <paramref name="connector"/>.</summary>
    public static async Task<QmpClient> ConnectAsync(NodeSocketConnector connector, string socketPath, QmpClientOptions? options = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new QmpClientOptions { Name = $"{connector.NodeName}:{socketPath}" };
        var deadline = DateTime.UtcNow + options.ConnectTimeout;
        Stream stream;
        while (true)
        {
            try
            {
                stream = await connector.ConnectAsync(socketPath, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (NodeSocketException ex) when (ex.IsRetryable && DateTime.UtcNow + RetryDelay < deadline)
            {
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeSocketException ex)
            {
                var waited = ex.IsRetryable ? $" (retried for {options.ConnectTimeout.TotalSeconds:0.#} s)" : "";
                throw new QmpDisconnectedException(
                    $"Cannot connect to QMP socket '{socketPath}' on node '{connector.NodeName}' via {connector.Transport.Describe()}{waited}: {ex.Message}" +
                    $"{Environment.NewLine}QEMU must run there with -qmp unix:{socketPath},server=on,wait=off.", ex);
            }
        }
        // QmpClient owns the stream from here: it disposes it, also when the handshake fails.
        return await QmpClient.ConnectAsync(stream, options, logger, cancellationToken).ConfigureAwait(false);
    }
}
