using System.Security.Cryptography;
using System.Text;
using Dapper;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Auth;

/// <summary>
/// API tokens, stored as SHA-256 hashes only: the plain token exists once, when it is created, and is shown to the
/// operator then. A token is 32 random bytes (256 bits), so a plain hash (no salt, no stretching) is enough: nobody
/// can guess a preimage, and lookups by hash stay one indexed query per request.
/// </summary>
public sealed class ApiTokenStore(HostDatabase database, TimeProvider time)
{
    /// <summary>True when at least one token exists.</summary>
    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM host_api_tokens", cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Creates a token and returns it in plain text; only its hash is stored.</summary>
    public async Task<string> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var token = "em_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO host_api_tokens (name, sha256, created_at) VALUES (@name, @hash, @now)",
            new { name, hash = Hash(token), now = time.GetUtcNow().ToString("O") }, cancellationToken: cancellationToken));
        return token;
    }

    /// <summary>The name of the token, or null when no such token exists.</summary>
    public async Task<string?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 256)
            return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT name FROM host_api_tokens WHERE sha256 = @hash", new { hash = Hash(token) }, cancellationToken: cancellationToken));
    }

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
