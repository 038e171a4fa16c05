using System.Net.Sockets;
using System.Text;

namespace Elsa.Migration.Activities.Tests.GuestAgent;

/// <summary>Sends one raw request to the agent socket (for commands the product client does not offer, e.g. guest-exec).</summary>
internal static class RawAgent
{
    public static async Task<string> ExecuteAsync(string socketPath, string requestJson, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        await using var stream = new NetworkStream(socket);
        // Reset the agent's parser and sync first, then the request; its reply is the first line after the sync reply.
        var sync = Random.Shared.Next(1, int.MaxValue);
        await stream.WriteAsync(Encoding.UTF8.GetBytes($"\xff{{\"execute\":\"guest-sync-delimited\",\"arguments\":{{\"id\":{sync}}}}}\n"), cancellationToken);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains($"{{\"return\": {sync}}}\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the agent socket closed before the sync reply; got: {text}");
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(requestJson + "\n"), cancellationToken);
        var reply = new StringBuilder();
        while (!reply.ToString().Contains('\n'))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the agent socket closed before the reply to {requestJson}");
            }

            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        if (reply.ToString().Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the agent refused {requestJson}: {reply}");
        }

        return reply.ToString();
    }
}
