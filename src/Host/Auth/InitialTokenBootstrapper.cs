using Microsoft.Extensions.Hosting;

namespace Elsa.Migration.Host.Auth;

/// <summary>Where a newly created token is shown to the operator: the console, never the log (logs are kept and shipped).</summary>
public interface ITokenAnnouncer
{
    void Announce(string token, string reason);
}

/// <summary>Writes the token to standard output.</summary>
public sealed class ConsoleTokenAnnouncer : ITokenAnnouncer
{
    public void Announce(string token, string reason)
    {
        Console.Out.WriteLine($"""

            ==== {reason} ====
            API token (shown only now; stored hashed; give it to Studio/API clients as 'Authorization: ApiKey <token>'):

                {token}

            """);
        Console.Out.Flush();
    }
}

/// <summary>On the first start (no token in the database) creates a token and shows it once.</summary>
public sealed class InitialTokenBootstrapper(ApiTokenStore tokens, ITokenAnnouncer announcer) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await tokens.AnyAsync(cancellationToken))
            return;
        var token = await tokens.CreateAsync("initial", cancellationToken);
        announcer.Announce(token, "First start: created the API token");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
