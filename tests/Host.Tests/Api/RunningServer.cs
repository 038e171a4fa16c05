using System.Net.Http.Headers;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Composition;
using Elsa.Migration.Host.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>The real server (Kestrel on a free loopback port, a real SQLite file), as `serve` builds it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, Uri baseAddress, string token)
    {
        _app = app;
        BaseAddress = baseAddress;
        Token = token;
        Client = NewClient(token);
    }

    public Uri BaseAddress { get; }

    /// <summary>The API token (announced on the first start of a database, or given for a restart).</summary>
    public string Token { get; }

    /// <summary>A client that sends <c>Authorization: ApiKey {Token}</c>.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server on <paramref name="databasePath"/> (null: the configuration's database). Without <paramref name="token"/> the database must be
    /// new: the first start's token is captured from the announcer (the console in production).</summary>
    public static Task<RunningServer> StartAsync(string? databasePath, string? token = null,
        IReadOnlyDictionary<string, string?>? configuration = null, CancellationToken cancellationToken = default,
        IReadOnlyList<System.Reflection.Assembly>? activityAssemblies = null) =>
        StartAtAsync("http://127.0.0.1:0", databasePath, token, configuration, cancellationToken, activityAssemblies);

    /// <summary>As <see cref="StartAsync"/>, listening on <paramref name="urls"/> (one address; port 0 picks a free one).</summary>
    public static async Task<RunningServer> StartAtAsync(string urls, string? databasePath, string? token = null,
        IReadOnlyDictionary<string, string?>? configuration = null, CancellationToken cancellationToken = default,
        IReadOnlyList<System.Reflection.Assembly>? activityAssemblies = null)
    {
        var announcer = new CapturingAnnouncer();
        var settings = new MigrationServerSettings(
            Urls: urls,
            DatabasePath: databasePath,
            Configuration: configuration,
            ConfigureServices: services => services.AddSingleton<ITokenAnnouncer>(announcer),
            ActivityAssemblies: activityAssemblies);
        var app = MigrationServer.Build(settings);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var effectiveToken = token ?? announcer.Token
            ?? throw new InvalidOperationException("No token was announced: the database was not new; pass the token of its first start.");
        return new RunningServer(app, new Uri(address), effectiveToken);
    }

    public HttpClient NewClient(string? token, string scheme = "ApiKey")
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, token);
        return client;
    }

    /// <summary>Stops gracefully (as Ctrl+C does), then disposes.</summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }

    private sealed class CapturingAnnouncer : ITokenAnnouncer
    {
        public string? Token { get; private set; }
        public void Announce(string token, string reason) => Token = token;
    }
}

/// <summary>A fresh temp folder with a SQLite file path, removed afterwards.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "elsa-host-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }
    public string Path => System.IO.Path.Combine(Folder, "state.db");

    public void Dispose()
    {
        // A connection a stopping server's last write still holds can recreate state.db-wal while the folder is
        // removed ("Directory not empty"): retry briefly, then say what stayed.
        for (var attempt = 1; ; attempt++)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Folder, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(100);
            }
            catch (IOException ex)
            {
                throw new IOException($"{ex.Message}; still there after 2 s: {string.Join(", ", Directory.EnumerateFileSystemEntries(Folder))}", ex);
            }
        }
    }
}
