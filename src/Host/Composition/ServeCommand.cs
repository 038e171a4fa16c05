using System.CommandLine;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Composition;

/// <summary><c>serve</c>: the REST API, the Studio designer and the scheduler, on 127.0.0.1 by default.</summary>
public static class ServeCommand
{
    public static Command Create(Option<string?> db)
    {
        var urls = new Option<string?>("--urls") { Description = $"Addresses to listen on (default {MigrationServer.DefaultUrl}; loopback only unless --allow-remote)." };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Accept non-loopback clients (put TLS in front)." };
        var newToken = new Option<bool>("--new-token") { Description = "Create another API token, print it once, then serve." };
        var allowedHosts = new Option<string?>("--allowed-hosts")
        {
            Description = $"Host names clients may use, ';'-separated (default {MigrationServer.DefaultAllowedHosts}; with --allow-remote add the server's name).",
        };
        var command = new Command("serve", "Serve the REST API (/api, OpenAPI at /openapi/v1.json), the Elsa Studio designer (/) and the scheduler.")
        {
            urls, allowRemote, newToken, allowedHosts,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new MigrationServerSettings(
                Urls: result.GetValue(urls),
                DatabasePath: result.GetValue(db),
                Configuration: new Dictionary<string, string?>
                {
                    ["Server:AllowRemote"] = result.GetValue(allowRemote) ? "true" : null,
                    ["AllowedHosts"] = result.GetValue(allowedHosts),
                }.Where(p => p.Value is not null).ToDictionary());
            await using var app = MigrationServer.Build(settings);
            if (result.GetValue(newToken))
            {
                await app.Services.GetRequiredService<HostSchema>().EnsureAsync(cancellationToken);
                var token = await app.Services.GetRequiredService<ApiTokenStore>().CreateAsync("cli " + DateTimeOffset.UtcNow.ToString("u"), null, cancellationToken);
                app.Services.GetRequiredService<ITokenAnnouncer>().Announce(token, "Created a new API token");
            }
            // Ctrl+C / SIGTERM stop the host gracefully: running instances stay Running in the database and are recovered on the next start.
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
