using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;

namespace Elsa.Migration.Activities.Tests.Nodes;

/// <summary>A real OpenSSH server on a free loopback port with its own host key and one authorized client key.</summary>
internal sealed class SshdFixture : IAsyncDisposable
{
    private Process _sshd;

    private SshdFixture(string dir, int port, Process sshd)
    {
        Directory = dir;
        Port = port;
        _sshd = sshd;
    }

    public string Directory { get; }
    public int Port { get; }
    public string ClientKey => Path.Combine(Directory, "client_key");
    public string KnownHosts => Path.Combine(Directory, "known_hosts");

    public SshEndpoint Endpoint(string? knownHosts = null) => new("127.0.0.1", Port, Environment.UserName, ClientKey, knownHosts ?? KnownHosts);

    /// <summary>An inventory transport to this sshd (key auth, host key checked).</summary>
    public TransportDefinition Transport() => new()
    {
        Kind = "ssh",
        Host = "127.0.0.1",
        Port = Port,
        User = Environment.UserName,
        IdentityFile = ClientKey,
        KnownHostsFile = KnownHosts,
    };

    /// <summary>
    /// A lab node reached through this sshd with a migration address of 127.0.0.1: still this machine, but every part of
    /// the product reaches it as another machine (for <see cref="Elsa.Migration.Lab.LabOptions.ConfigureNode"/>).
    /// </summary>
    public NodeDefinition AsRemoteNode(NodeDefinition node) => node with { Transport = Transport(), MigrationAddress = "127.0.0.1" };

    /// <summary>Starts sshd; <paramref name="extraConfig"/> lines are appended to its sshd_config (e.g. <c>SetEnv PATH=...</c>).</summary>
    public static async Task<SshdFixture> StartAsync(CancellationToken ct, string extraConfig = "")
    {
        TestTools.Require("/usr/sbin/sshd", "ssh", "ssh-keygen");
        var dir = TestTools.CreateTempDir("elsa-sshd");
        foreach (var key in new[] { "host_key", "client_key" })
        {
            var (code, text) = await TestTools.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", Path.Combine(dir, key)], ct);
            Assert.True(code == 0, $"ssh-keygen: {text}");
        }
        File.Copy(Path.Combine(dir, "client_key.pub"), Path.Combine(dir, "authorized_keys"));
        var port = FreePort();
        var hostKey = (await File.ReadAllTextAsync(Path.Combine(dir, "host_key.pub"), ct)).Split(' ');
        await File.WriteAllTextAsync(Path.Combine(dir, "known_hosts"), $"[127.0.0.1]:{port} {hostKey[0]} {hostKey[1]}\n", ct);
        var config = Path.Combine(dir, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {dir}/host_key
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {dir}/authorized_keys
            StrictModes no
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            LogLevel ERROR
            {extraConfig}
            """, ct);
        var fixture = new SshdFixture(dir, port, Launch(config));
        await fixture.WaitListeningAsync(ct);
        return fixture;
    }

    private static Process Launch(string config)
    {
        System.IO.Directory.CreateDirectory("/run/sshd");
        var psi = new ProcessStartInfo("/usr/sbin/sshd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", config }) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private async Task WaitListeningAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_sshd.HasExited)
            {
                await Task.Delay(50, ct);
            }
            catch (SocketException)
            {
                var err = _sshd.HasExited ? await _sshd.StandardError.ReadToEndAsync(ct) : "(still running)";
                await DisposeAsync();
                Assert.Fail($"sshd did not listen on 127.0.0.1:{Port}: {err}");
            }
        }
    }

    /// <summary>Starts the stopped sshd again on the same port with the same keys: the node is reachable again.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        await StopAsync();
        _sshd.Dispose();
        _sshd = Launch(Path.Combine(Directory, "sshd_config"));
        await WaitListeningAsync(ct);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops sshd but keeps the keys and known_hosts: the node is then unreachable, as when its sshd dies.</summary>
    public async Task StopAsync()
    {
        if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true);
        await _sshd.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_sshd.HasExited) _sshd.Kill(entireProcessTree: true);
        await _sshd.WaitForExitAsync();
        _sshd.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
