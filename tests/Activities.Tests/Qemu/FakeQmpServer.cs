using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>The QEMU end of a QMP connection, scripted by the test, over a real UNIX socket pair.</summary>
internal sealed class FakeQmpServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Socket _listener;
    private Socket? _server;
    private StreamReader? _reader;
    private NetworkStream? _serverStream;

    private FakeQmpServer(string dir, Socket listener)
    {
        _dir = dir;
        _listener = listener;
    }

    public static FakeQmpServer Create()
    {
        var dir = Path.Combine("/tmp", "elsa-qmp-fake-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, "qmp.sock")));
        listener.Listen(1);
        return new FakeQmpServer(dir, listener);
    }

    /// <summary>Connects a client stream, sends the greeting and answers qmp_capabilities; returns the client's stream.</summary>
    public async Task<Stream> ConnectClientAsync(CancellationToken ct)
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = _listener.AcceptAsync(ct).AsTask();
        await client.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(_dir, "qmp.sock")), ct);
        _server = await accept;
        _serverStream = new NetworkStream(_server, ownsSocket: false);
        _reader = new StreamReader(_serverStream, Encoding.UTF8);
        await SendAsync("""{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": ["oob"]}}""");
        return new NetworkStream(client, ownsSocket: true);
    }

    /// <summary>Connects a <see cref="QmpClient"/> through the handshake and returns it.</summary>
    public async Task<QmpClient> ConnectQmpClientAsync(CancellationToken ct, QmpClientOptions? options = null)
    {
        var stream = await ConnectClientAsync(ct);
        var connecting = QmpClient.ConnectAsync(stream, options, cancellationToken: ct);
        await AnswerCapabilitiesAsync(ct);
        return await connecting;
    }

    /// <summary>Answers the handshake command (call after ConnectClientAsync while the client connects).</summary>
    public async Task AnswerCapabilitiesAsync(CancellationToken ct)
    {
        var request = await ReadRequestAsync(ct);
        Assert.Equal("qmp_capabilities", request["execute"]!.GetValue<string>());
        await ReplyAsync(request, new JsonObject());
    }

    public async Task<JsonObject> ReadRequestAsync(CancellationToken ct)
    {
        var line = await _reader!.ReadLineAsync(ct) ?? throw new IOException("client closed");
        return (JsonObject)JsonNode.Parse(line)!;
    }

    public Task ReplyAsync(JsonObject request, JsonNode? value) =>
        SendAsync(new JsonObject { ["return"] = value, ["id"] = request["id"]!.DeepClone() }.ToJsonString());

    public Task ReplyErrorAsync(JsonObject request, string errorClass, string desc) =>
        SendAsync(new JsonObject { ["error"] = new JsonObject { ["class"] = errorClass, ["desc"] = desc }, ["id"] = request["id"]!.DeepClone() }.ToJsonString());

    public Task SendEventAsync(string name, JsonObject data) =>
        SendAsync(new JsonObject { ["event"] = name, ["data"] = data, ["timestamp"] = new JsonObject { ["seconds"] = 1700000000, ["microseconds"] = 5 } }.ToJsonString());

    public async Task SendAsync(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        await _serverStream!.WriteAsync(bytes);
        await _serverStream.FlushAsync();
    }

    /// <summary>Closes the QEMU end, as if QEMU exited.</summary>
    public void Disconnect()
    {
        _server?.Shutdown(SocketShutdown.Both);
        _server?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _server?.Dispose();
        _listener.Dispose();
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }
}
