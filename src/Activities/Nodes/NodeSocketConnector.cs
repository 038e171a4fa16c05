using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// Opens a bidirectional <see cref="Stream"/> to a UNIX socket on a node (QEMU's QMP socket, the guest-agent chardev).
/// On a <see cref="LocalTransport"/> node it connects to the socket directly. On any other node (SSH) it runs
/// <c>socat - UNIX-CONNECT:PATH</c> there through the node's transport (same ssh options, argument quoting and
/// host-key checking as every other command) and uses that process's stdin/stdout as the stream; disposing the stream
/// ends the process. <c>socat</c> is a declared dependency of every node.
/// <para>The guest-agent client takes a connect callback: <c>ct =&gt; connector.ConnectAsync(path, ct)</c>.</para>
/// </summary>
public sealed class NodeSocketConnector
{
    // sockaddr_un.sun_path: 108 bytes including the terminating NUL.
    private const int MaxUnixPathBytes = 107;
    private readonly ILogger _logger;

    public NodeSocketConnector(string nodeName, INodeTransport transport, ILogger? logger = null)
    {
        NodeName = NameRules.Require(nodeName, NameRules.IsNodeName, "node name");
        Transport = transport;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A connector for the same node and transport as <paramref name="executor"/>.</summary>
    public static NodeSocketConnector For(NodeExecutor executor, ILogger? logger = null) => new(executor.NodeName, executor.Transport, logger);

    /// <summary>Name of the node.</summary>
    public string NodeName { get; }

    /// <summary>How the node is reached.</summary>
    public INodeTransport Transport { get; }

    /// <summary>How long one connection attempt may take (ssh handshake plus socket connect) before it is abandoned.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposing waits for the relay process to exit after EOF before killing it.</summary>
    public TimeSpan CloseGracePeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Connects once to <paramref name="socketPath"/> on the node. Throws <see cref="NodeSocketException"/> saying
    /// why it failed (<see cref="NodeSocketException.IsRetryable"/> when QEMU may simply not be up yet), or
    /// <see cref="ArgumentException"/> for a path that fails <see cref="NameRules.IsSafeAbsolutePath"/>.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(string socketPath, CancellationToken cancellationToken = default)
    {
        NameRules.Require(socketPath, NameRules.IsSafeAbsolutePath, "socket path");
        if (Encoding.UTF8.GetByteCount(socketPath) > MaxUnixPathBytes)
            throw new ArgumentException($"Socket path '{socketPath}' is longer than {MaxUnixPathBytes} bytes (the UNIX socket limit): use a shorter qmpSocketDir.", nameof(socketPath));
        var started = Stopwatch.GetTimestamp();
        var stream = Transport is LocalTransport
            ? await ConnectLocalAsync(socketPath, cancellationToken).ConfigureAwait(false)
            : await ConnectThroughRelayAsync(socketPath, cancellationToken).ConfigureAwait(false);
        _logger.LogDebug("Connected to {Socket} on {Node} via {Transport} in {Ms} ms", socketPath, NodeName, Transport.Describe(),
            (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return stream;
    }

    private async Task<Stream> ConnectLocalAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var failure = ex.SocketErrorCode switch
            {
                // ENOENT surfaces as AddressNotAvailable on Linux.
                SocketError.AddressNotAvailable => NodeSocketFailure.SocketNotFound,
                SocketError.ConnectionRefused => NodeSocketFailure.ConnectionRefused,
                _ => NodeSocketFailure.Failed,
            };
            throw new NodeSocketException(NodeName, socketPath, failure, $"({ex.SocketErrorCode}: {ex.Message})", inner: ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Stream> ConnectThroughRelayAsync(string socketPath, CancellationToken cancellationToken)
    {
        // -d -d: socat logs "starting data transfer loop" once the socket is connected; that is the signal we wait for.
        // The path is validated above (no ',', ':', '!' that socat's address syntax would interpret).
        var command = new NodeCommand("socat", "-d", "-d", "-", "UNIX-CONNECT:" + socketPath);
        var spec = Transport.Prepare(command);
        var relay = RelayProcessStream.Start(spec, NodeName, socketPath, CloseGracePeriod);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            var first = await Task.WhenAny(relay.Connected, relay.Exited).WaitAsync(timeout.Token).ConfigureAwait(false);
            if (first == relay.Connected) return relay;
            throw await relay.ExitFailureAsync("The relay exited before the socket was connected.").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            throw new NodeSocketException(NodeName, socketPath, NodeSocketFailure.Failed,
                $"The relay did not connect within {ConnectTimeout.TotalSeconds:0.#} s (is the node reachable and socat working?).", spec, null, relay.StandardError);
        }
        catch
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
