using System.Net.Sockets;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>A UNIX socket server that echoes every byte of each connection back and records when a client hung up.</summary>
internal sealed class UnixEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _clientsClosed;

    public UnixEchoServer(string path)
    {
        Path = path;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(4);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string Path { get; }

    /// <summary>How many clients reached EOF (closed their side).</summary>
    public int ClientsClosed => Volatile.Read(ref _clientsClosed);

    private async Task AcceptLoopAsync()
    {
        var clients = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                clients.Add(EchoAsync(client));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: stop accepting; running echoes end with their clients.
        }
        await Task.WhenAll(clients);
    }

    private async Task EchoAsync(Socket client)
    {
        using var _ = client;
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            Interlocked.Increment(ref _clientsClosed);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Server disposed or client reset: the test asserts on what it observed before.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        _stop.Dispose();
        File.Delete(Path);
    }
}
