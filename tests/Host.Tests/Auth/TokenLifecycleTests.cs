using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;

namespace Elsa.Migration.Host.Tests.Auth;

/// <summary>`serve` and `token` as real processes on one database: the first token goes to a 0600 file and never to
/// the log or a redirected stdout; request logs carry no query strings; expired and revoked tokens get 401.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class TokenLifecycleTests : IDisposable
{
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));

    public void Dispose()
    {
        _db.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task The_first_token_goes_to_a_private_file_and_neither_it_nor_a_query_string_reaches_the_log()
    {
        using var serve = CliProcess.Start(_db.Path, "serve", "--urls", "http://127.0.0.1:0");
        var (client, token, tokenFile) = await ConnectAsync(serve);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/migrations?access_token=query-secret-42");
        request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", token);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, _timeout.Token)).StatusCode);
        await serve.WaitForOutputAsync("GET /api/migrations answered 200", TimeSpan.FromSeconds(30));

        var everything = serve.Output + serve.Error;
        Assert.DoesNotContain(token, everything);
        Assert.DoesNotContain("query-secret-42", everything);
        Assert.Contains(tokenFile, serve.Output);
    }

    [Fact]
    public async Task Tokens_are_added_listed_without_their_secret_and_get_401_once_revoked_or_expired()
    {
        using var serve = CliProcess.Start(_db.Path, "serve", "--urls", "http://127.0.0.1:0");
        var (client, _, _) = await ConnectAsync(serve);

        var ops = await AddAsync("ops");
        var shortLived = await AddAsync("ci", "--expires", "3s");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, ops));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, shortLived));
        Assert.Equal(2, (await CliProcess.RunAsync(_db.Path, "token", "add", "ops")).ExitCode); // the name is taken

        var list = await CliProcess.RunAsync(_db.Path, "token", "list");
        Assert.Contains("ops", list.Output);
        Assert.Contains("ci", list.Output);
        Assert.DoesNotContain(ops, list.Output);
        Assert.DoesNotContain(shortLived, list.Output);

        Assert.Equal(0, (await CliProcess.RunAsync(_db.Path, "token", "revoke", "ops")).ExitCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, ops));
        await Task.Delay(TimeSpan.FromSeconds(4), _timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client, shortLived));
        Assert.Contains("revoked", (await CliProcess.RunAsync(_db.Path, "token", "list")).Output);
        Assert.Contains("expired", (await CliProcess.RunAsync(_db.Path, "token", "list")).Output);
    }

    private async Task<(HttpClient Client, string Token, string TokenFile)> ConnectAsync(CliProcess serve)
    {
        await serve.WaitForOutputAsync("Now listening on: ", TimeSpan.FromSeconds(60));
        await serve.WaitForOutputAsync("API token written to ", TimeSpan.FromSeconds(60));
        var address = ListeningOn().Match(serve.Output).Groups[1].Value;
        var tokenFile = WrittenTo().Match(serve.Output).Groups[1].Value;
        var token = (await File.ReadAllTextAsync(tokenFile, _timeout.Token)).Trim();
        return (new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) }, token, tokenFile);
    }

    private async Task<string> AddAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await CliProcess.RunAsync(_db.Path, ["token", "add", .. arguments]);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        return output.Trim();
    }

    private async Task<HttpStatusCode> StatusAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/definitions");
        request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", token);
        return (await client.SendAsync(request, _timeout.Token)).StatusCode;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"API token written to (\S+) \(mode 0600")]
    private static partial Regex WrittenTo();
}
