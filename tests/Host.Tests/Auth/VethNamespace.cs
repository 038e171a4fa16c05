using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Elsa.Migration.Host.Tests.Auth;

/// <summary>What curl saw: its exit code (7 = connection refused), the HTTP status (0 without a response) and the body.</summary>
internal sealed record CurlResult(int ExitCode, int Status, string Body, string Error)
{
    public override string ToString() => $"curl exit {ExitCode}, HTTP {Status}\nbody: {Body}\nstderr: {Error}";
}

/// <summary>
/// A network namespace made by this test, joined to the host by a veth pair with a /30 from 10.241.0.0/16: a real
/// non-loopback client for the server. Only the two veth addresses talk (no routes, no forwarding). Unique names and a
/// subnet no interface on the host uses; <see cref="DisposeAsync"/> removes the namespace and both veth ends.
/// </summary>
internal sealed class VethNamespace : IAsyncDisposable
{
    private static readonly string Ip = File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : "ip";
    private int _disposed;

    private VethNamespace(string suffix, string hostAddress, string namespaceAddress)
    {
        Name = "elsa-t-" + suffix;
        HostInterface = "elh" + suffix;
        NamespaceInterface = "eln" + suffix;
        HostAddress = hostAddress;
        NamespaceAddress = namespaceAddress;
    }

    /// <summary>The namespace name (for <c>ip netns exec</c>).</summary>
    public string Name { get; }

    /// <summary>The host end of the veth pair (in the test's namespace).</summary>
    public string HostInterface { get; }

    /// <summary>The namespace end of the veth pair.</summary>
    public string NamespaceInterface { get; }

    /// <summary>The host end's address: bind the server here.</summary>
    public string HostAddress { get; }

    /// <summary>The namespace end's address: the client's source address.</summary>
    public string NamespaceAddress { get; }

    /// <summary>Fails the test with the reason when <c>ip</c>/<c>curl</c> are missing or namespaces cannot be made.</summary>
    public static async Task<VethNamespace> CreateAsync(CancellationToken ct)
    {
        foreach (var program in new[] { "ip", "curl" })
            Assert.True(new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Any(d => File.Exists(Path.Combine(d, program))),
                $"'{program}' is required for this test but is not installed (Debian packages iproute2 and curl).");
        var used = (await RunAsync(Ip, ["-o", "-4", "addr", "show"], ct)).Output;
        string third;
        do third = RandomNumberGenerator.GetInt32(0, 256).ToString(CultureInfo.InvariantCulture);
        while (used.Contains($" 10.241.{third}.", StringComparison.Ordinal));
        var fourth = RandomNumberGenerator.GetInt32(0, 64) * 4;
        var ns = new VethNamespace(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            $"10.241.{third}.{fourth + 1}", $"10.241.{third}.{fourth + 2}");
        try
        {
            await ns.IpAsync(ct, "netns", "add", ns.Name);
            await ns.IpAsync(ct, "link", "add", ns.HostInterface, "type", "veth", "peer", "name", ns.NamespaceInterface);
            await ns.IpAsync(ct, "link", "set", ns.NamespaceInterface, "netns", ns.Name);
            await ns.IpAsync(ct, "addr", "add", ns.HostAddress + "/30", "dev", ns.HostInterface);
            await ns.IpAsync(ct, "link", "set", ns.HostInterface, "up");
            await ns.IpAsync(ct, "-n", ns.Name, "addr", "add", ns.NamespaceAddress + "/30", "dev", ns.NamespaceInterface);
            await ns.IpAsync(ct, "-n", ns.Name, "link", "set", ns.NamespaceInterface, "up");
            await ns.IpAsync(ct, "-n", ns.Name, "link", "set", "lo", "up");
            return ns;
        }
        catch
        {
            await ns.DisposeAsync();
            throw;
        }
    }

    /// <summary>GET <paramref name="url"/> with curl run inside the namespace (no proxy, 10 s limit).</summary>
    public Task<CurlResult> CurlFromNamespaceAsync(string url, string? token, CancellationToken ct) =>
        CurlAsync([Ip, "netns", "exec", Name, "curl"], url, token, ct);

    /// <summary>GET <paramref name="url"/> with curl run on the host side.</summary>
    public static Task<CurlResult> CurlFromHostAsync(string url, CancellationToken ct) => CurlAsync(["curl"], url, null, ct);

    /// <summary>Whether the namespace or the host veth end still exist (for the cleanup assertion).</summary>
    public async Task<bool> AnythingLeftAsync(CancellationToken ct)
    {
        var namespaces = await RunAsync(Ip, ["netns", "list"], ct);
        var link = await RunAsync(Ip, ["link", "show", HostInterface], ct);
        return namespaces.Output.Split('\n').Any(l => l.Split(' ')[0] == Name) || link.ExitCode == 0;
    }

    /// <summary>Deletes the namespace (which destroys its veth end and so the pair), then the host end if still there.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var errors = new List<string>();
        var deleteNs = await RunAsync(Ip, ["netns", "del", Name], timeout.Token);
        if (deleteNs.ExitCode != 0 && !deleteNs.Output.Contains("No such file", StringComparison.Ordinal))
            errors.Add($"ip netns del {Name}: {deleteNs.Output}");
        if ((await RunAsync(Ip, ["link", "show", HostInterface], timeout.Token)).ExitCode == 0)
        {
            var deleteLink = await RunAsync(Ip, ["link", "del", HostInterface], timeout.Token);
            if (deleteLink.ExitCode != 0) errors.Add($"ip link del {HostInterface}: {deleteLink.Output}");
        }
        if (errors.Count > 0)
            throw new InvalidOperationException("Network namespace cleanup left something behind: " + string.Join("; ", errors));
    }

    private async Task IpAsync(CancellationToken ct, params string[] arguments)
    {
        var (exitCode, output) = await RunAsync(Ip, arguments, ct);
        if (exitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} exited {exitCode}: {output.Trim()} (network namespaces need root / CAP_NET_ADMIN).");
    }

    private static async Task<CurlResult> CurlAsync(string[] command, string url, string? token, CancellationToken ct)
    {
        string[] arguments = [.. command[1..], "--silent", "--show-error", "--noproxy", "*", "--max-time", "10",
            "--write-out", "\n%{http_code}", .. token is null ? Array.Empty<string>() : new[] { "--header", "Authorization: ApiKey " + token }, url];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var text = await stdout;
        var split = text.LastIndexOf('\n');
        var status = int.TryParse(text[(split + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 0;
        return new CurlResult(process.ExitCode, status, split < 0 ? "" : text[..split], await stderr);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }
}
