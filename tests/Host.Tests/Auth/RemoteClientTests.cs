using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Auth;

/// <summary>
/// Network exposure with a real remote client: curl in a network namespace this test creates, talking over a veth pair
/// to the server (real Kestrel). The server refuses non-loopback clients with 403 unless <c>Server:AllowRemote</c>, and
/// <c>serve</c> without <c>--urls</c> listens on 127.0.0.1 only.
/// </summary>
public sealed class RemoteClientTests(ITestOutputHelper output)
{
    [Fact(Timeout = 120_000)]
    public async Task A_client_from_another_host_address_gets_403_without_AllowRemote_and_401_or_200_with_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(110));
        var ct = cts.Token;
        var ns = await VethNamespace.CreateAsync(ct);
        try
        {
            output.WriteLine($"namespace {ns.Name}: client {ns.NamespaceAddress} -> server {ns.HostAddress}");
            var urls = $"http://{ns.HostAddress}:0";

            using (var db = new TempDatabase())
            // The veth address is listed as an allowed Host so that the loopback-only rule (403) is what refuses.
            await using (var server = await RunningServer.StartAtAsync(urls, db.Path,
                             configuration: new Dictionary<string, string?> { ["AllowedHosts"] = ns.HostAddress }, cancellationToken: ct))
            {
                var url = new Uri(server.BaseAddress, "/api/migrations").ToString();
                Assert.Contains(ns.HostAddress, url);

                var withToken = await ns.CurlFromNamespaceAsync(url, server.Token, ct);
                var withoutToken = await ns.CurlFromNamespaceAsync(url, null, ct);

                Assert.True(withToken.Status == 403, $"a remote client with a valid token must be refused\n{withToken}");
                Assert.Contains("accepts loopback clients only (set Server:AllowRemote=true)", withToken.Body);
                Assert.True(withoutToken.Status == 403, $"a remote client without a token must be refused before authentication\n{withoutToken}");
            }

            using (var db = new TempDatabase())
            await using (var server = await RunningServer.StartAtAsync(urls, db.Path,
                             configuration: new Dictionary<string, string?> { ["Server:AllowRemote"] = "true", ["AllowedHosts"] = ns.HostAddress }, cancellationToken: ct))
            {
                var url = new Uri(server.BaseAddress, "/api/migrations").ToString();

                var withoutToken = await ns.CurlFromNamespaceAsync(url, null, ct);
                var wrongToken = await ns.CurlFromNamespaceAsync(url, "not-the-token", ct);
                var withToken = await ns.CurlFromNamespaceAsync(url, server.Token, ct);

                Assert.True(withoutToken.Status == 401, $"with AllowRemote a remote client still needs a token\n{withoutToken}");
                Assert.True(wrongToken.Status == 401, $"with AllowRemote a wrong token is still refused\n{wrongToken}");
                Assert.True(withToken.Status == 200, $"with AllowRemote and the token a remote client is served\n{withToken}");
                Assert.StartsWith("[", withToken.Body.TrimStart());
            }
        }
        finally
        {
            await ns.DisposeAsync();
        }
        Assert.False(await ns.AnythingLeftAsync(ct), $"namespace {ns.Name} or veth {ns.HostInterface} left behind");
    }

    [Fact(Timeout = 150_000)]
    public async Task Serve_without_urls_listens_on_127_0_0_1_5080_only()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(140));
        var ct = cts.Token;
        // A fresh namespace has its own loopback and ports: 5080 is free there whatever else runs on this machine.
        var ns = await VethNamespace.CreateAsync(ct);
        using var db = new TempDatabase();
        try
        {
            using (var serve = CliProcess.StartInNetworkNamespace(ns.Name, db.Path, "--db", db.Path, "serve"))
            {
                try
                {
                    await serve.WaitForOutputAsync("Now listening on:", TimeSpan.FromSeconds(90));
                    var token = ReadAnnouncedToken(serve.Output);
                    var listening = serve.Output.Split('\n').Where(l => l.Contains("Now listening on:", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
                    Assert.Equal(["Now listening on: http://127.0.0.1:5080"], listening);

                    var loopback = await ns.CurlFromNamespaceAsync("http://127.0.0.1:5080/api/migrations", token, ct);
                    var loopbackNoToken = await ns.CurlFromNamespaceAsync("http://127.0.0.1:5080/api/migrations", null, ct);
                    var ownAddress = await ns.CurlFromNamespaceAsync($"http://{ns.NamespaceAddress}:5080/api/migrations", token, ct);
                    var fromHost = await VethNamespace.CurlFromHostAsync($"http://{ns.NamespaceAddress}:5080/api/migrations", ct);

                    Assert.True(loopback.Status == 200, $"a loopback client with the token is served\n{loopback}");
                    Assert.True(loopbackNoToken.Status == 401, $"a loopback client still needs the token\n{loopbackNoToken}");
                    // curl exit 7: could not connect (nothing listens on the namespace's non-loopback address).
                    Assert.True(ownAddress is { ExitCode: 7, Status: 0 }, $"serve must not listen on {ns.NamespaceAddress}\n{ownAddress}");
                    Assert.True(fromHost is { ExitCode: 7, Status: 0 }, $"serve must not be reachable from another host\n{fromHost}");
                }
                finally
                {
                    output.WriteLine("serve output:\n" + serve.Output + serve.Error);
                }
                await serve.InterruptAsync();
                Assert.Equal(0, await serve.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            }
        }
        finally
        {
            await ns.DisposeAsync();
        }
        Assert.False(await ns.AnythingLeftAsync(ct), $"namespace {ns.Name} or veth {ns.HostInterface} left behind");
    }

    /// <summary>The first start's token, from the 0600 file whose path serve prints (stdout is not a terminal here, so the
    /// token itself is not printed).</summary>
    private static string ReadAnnouncedToken(string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"API token written to (\S+) \(mode 0600");
        Assert.True(match.Success, "serve did not announce the first start's API token file:\n" + output);
        return File.ReadAllText(match.Groups[1].Value).Trim();
    }
}
