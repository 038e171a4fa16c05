using System.CommandLine;
using System.Globalization;
using Elsa.Migration.Host.Auth;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Cli;

/// <summary><c>token add|list|revoke</c>: API tokens in the database (a running server sees changes at the next request).</summary>
public static class TokenCommand
{
    /// <summary>Exit code of a refused command (bad name or lifetime, a name in use, no such token).</summary>
    public const int Refused = 2;

    public static Command Create(Option<string?> db)
    {
        var command = new Command("token", "API tokens: add (printed once), list (never the secret), revoke.");
        command.Subcommands.Add(Add(db));
        command.Subcommands.Add(List(db));
        command.Subcommands.Add(Revoke(db));
        return command;
    }

    private static Command Add(Option<string?> db)
    {
        var name = new Argument<string>("NAME") { Description = "A name for the token (who or what uses it), unique among active tokens." };
        var expires = new Option<string?>("--expires") { Description = "Lifetime, e.g. 90d, 12h, 30m (default: until revoked)." };
        var command = new Command("add", "Create a token and print it once (only its hash is stored).") { name, expires };
        command.SetAction(async (result, cancellationToken) =>
        {
            var tokenName = result.GetValue(name)!;
            TimeSpan? lifetime = null;
            if (result.GetValue(expires) is { } text)
            {
                if (!TokenLifetime.TryParse(text, out var parsed))
                {
                    Console.Error.WriteLine($"--expires '{text}' is not a lifetime such as 90d, 12h or 30m.");
                    return Refused;
                }
                lifetime = parsed;
            }
            await using var services = await OpenAsync(result.GetValue(db), cancellationToken);
            var tokens = services.GetRequiredService<ApiTokenStore>();
            if (await tokens.ActiveNameExistsAsync(tokenName, cancellationToken))
            {
                Console.Error.WriteLine($"An active token is already named '{tokenName}': choose another name or revoke it first.");
                return Refused;
            }
            Console.WriteLine(await tokens.CreateAsync(tokenName, lifetime, cancellationToken));
            return 0;
        });
        return command;
    }

    private static Command List(Option<string?> db)
    {
        var command = new Command("list", "List tokens: name, created, expires, revoked (never the token).");
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = await OpenAsync(result.GetValue(db), cancellationToken);
            var now = DateTimeOffset.UtcNow;
            foreach (var t in await services.GetRequiredService<ApiTokenStore>().ListAsync(cancellationToken))
                Console.WriteLine($"{t.Name}  created {Date(t.CreatedAt)}  expires {(t.ExpiresAt is { } e ? Date(e) : "never")}  " +
                                  (t.RevokedAt is { } r ? $"revoked {Date(r)}" : t.IsActive(now) ? "active" : "expired"));
            return 0;
        });
        return command;
    }

    private static Command Revoke(Option<string?> db)
    {
        var name = new Argument<string>("NAME") { Description = "The token's name." };
        var command = new Command("revoke", "Revoke the token(s) with this name: they get 401 from now on.") { name };
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var services = await OpenAsync(result.GetValue(db), cancellationToken);
            var revoked = await services.GetRequiredService<ApiTokenStore>().RevokeAsync(result.GetValue(name)!, cancellationToken);
            if (revoked == 0)
            {
                Console.Error.WriteLine($"No active token named '{result.GetValue(name)}'.");
                return Refused;
            }
            Console.WriteLine($"Revoked {revoked} token(s).");
            return 0;
        });
        return command;
    }

    private static async Task<ServiceProvider> OpenAsync(string? databasePath, CancellationToken cancellationToken)
    {
        var services = HostCliServices.Build(databasePath);
        await services.GetRequiredService<HostSchema>().EnsureAsync(cancellationToken);
        return services;
    }

    private static string Date(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
