using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Elsa.Migration.Activities.GuestAgent;

namespace Elsa.Migration.Activities.Tests.GuestAgent;

/// <summary>One request the fake agent read.</summary>
internal sealed record FakeRequest(int Connection, string Execute, long? Id, long? SyncId);

/// <summary>
/// A scripted agent on the far end of the client's stream seam (a UNIX socket pair): it answers the 0xFF reset byte
/// with the parse-error line the real qemu-ga sends, and each request with what <see cref="Respond"/> returns.
/// </summary>
internal sealed class FakeAgent : IAsyncDisposable
{
    public static readonly byte[] ParseErrorLine =
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\uFFFD'\"}}\n"u8.ToArray();

    private readonly string _directory;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _connections;

    public FakeAgent()
    {
        _directory = Path.Combine(Path.GetTempPath(), "elsa-fakeqga-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_directory);
        SocketPath = Path.Combine(_directory, "qga.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(4);
        _loops.Add(AcceptLoopAsync());
        Respond = Default;
    }

    public string SocketPath { get; }

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>Bytes to send for a request, or null to stay silent.</summary>
    public Func<FakeRequest, byte[]?> Respond { get; set; }

    /// <summary>Close the connection instead of answering this command.</summary>
    public string? CloseOn { get; set; }

    /// <summary>Send replies one byte at a time (the client must reassemble frames across reads).</summary>
    public bool Trickle { get; set; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A client whose connector counts how often it was asked to connect.</summary>
    public GuestAgentClient CreateClient(GuestAgentClientOptions? options = null, Action? onConnect = null) =>
        new(async ct =>
        {
            onConnect?.Invoke();
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }, SocketPath, options ?? new GuestAgentClientOptions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)));

    public static byte[] SyncReply(long syncId) => [0xFF, .. Encoding.UTF8.GetBytes($"{{\"return\": {syncId}}}\n")];

    public static byte[] Return(string json, long? id) =>
        Encoding.UTF8.GetBytes(id is null ? $"{{\"return\": {json}}}\n" : $"{{\"return\": {json}, \"id\": {id}}}\n");

    public static byte[]? Default(FakeRequest request) => request.Execute switch
    {
        "guest-sync-delimited" => SyncReply(request.SyncId!.Value),
        "guest-fsfreeze-status" => Return("\"thawed\"", request.Id),
        "guest-fsfreeze-freeze" or "guest-fsfreeze-thaw" => Return("1", request.Id),
        _ => Return("{}", request.Id),
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (var loop in _loops.ToArray())
        {
            try
            {
                await loop;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The loops end by cancellation or by the sockets closing under them.
            }
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_stop.Token);
            var number = Interlocked.Increment(ref _connections);
            lock (_loops)
            {
                _loops.Add(ServeAsync(socket, number));
            }
        }
    }

    private async Task ServeAsync(Socket socket, int connection)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var line = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }

            foreach (var b in buffer[..read])
            {
                if (b == 0xFF)
                {
                    line.Clear();
                    await SendAsync(stream, ParseErrorLine);
                }
                else if (b == (byte)'\n')
                {
                    var request = Parse(line.ToArray(), connection);
                    line.Clear();
                    Requests.Enqueue(request);
                    if (request.Execute == CloseOn)
                    {
                        return;
                    }

                    if (Respond(request) is { } reply)
                    {
                        await SendAsync(stream, reply);
                    }
                }
                else
                {
                    line.Add(b);
                }
            }
        }
    }

    private async Task SendAsync(NetworkStream stream, byte[] bytes)
    {
        if (!Trickle)
        {
            await stream.WriteAsync(bytes, _stop.Token);
            return;
        }

        foreach (var b in bytes)
        {
            await stream.WriteAsync(new[] { b }, _stop.Token);
            await stream.FlushAsync(_stop.Token);
            await Task.Delay(1, _stop.Token);
        }
    }

    private static FakeRequest Parse(byte[] line, int connection)
    {
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var execute = root.GetProperty("execute").GetString()!;
        long? id = root.TryGetProperty("id", out var i) ? i.GetInt64() : null;
        long? syncId = root.TryGetProperty("arguments", out var a) && a.TryGetProperty("id", out var s) ? s.GetInt64() : null;
        return new FakeRequest(connection, execute, id, syncId);
    }
}
