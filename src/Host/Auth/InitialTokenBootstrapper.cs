using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Auth;

/// <summary>Where a newly created token is shown to the operator: a private file and the terminal, never the log
/// (logs are kept and shipped).</summary>
public interface ITokenAnnouncer
{
    void Announce(string token, string reason);
}

/// <summary>
/// Writes the token to <c>&lt;database&gt;.token</c> (created 0600) and prints that path on standard output; the token
/// itself is printed only when standard output is a terminal. Under systemd or a log collector standard output is
/// redirected into the journal, where a token must never land.
/// </summary>
public sealed class ConsoleTokenAnnouncer(HostDatabase database) : ITokenAnnouncer
{
    public void Announce(string token, string reason)
    {
        var file = database.SideFilesPath + ".token";
        TokenFile.Write(file, token);
        var shown = Console.IsOutputRedirected
            ? "(not shown here: standard output is not a terminal; read it from the file)"
            : $"""

                  {token}

              """;
        Console.Out.WriteLine($"""

            ==== {reason} ====
            API token written to {file} (mode 0600; stored hashed in the database). Give it to Studio/API clients as
            'Authorization: ApiKey <token>'. {shown}
            """);
        Console.Out.Flush();
    }
}

/// <summary>On the first start (no token in the database) creates a token and announces it once.</summary>
public sealed class InitialTokenBootstrapper(ApiTokenStore tokens, ITokenAnnouncer announcer) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await tokens.AnyAsync(cancellationToken))
            return;
        var token = await tokens.CreateAsync("initial", null, cancellationToken);
        announcer.Announce(token, "First start: created the API token");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
