using System.Security.Cryptography;
using System.Text;
using Dapper;
using Elsa.Migration.Host.Server;

namespace Elsa.Migration.Host.Auth;

/// <summary>A token as listed: never its secret (which is not stored), only its name and dates.</summary>
public sealed record ApiTokenInfo(string Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>
/// API tokens, stored as SHA-256 hashes only: the plain token exists once, when it is created, and is shown to the
/// operator then. A token is 32 random bytes (256 bits), so a plain hash (no salt, no stretching) is enough: nobody
/// can guess a preimage, and lookups by hash stay one indexed query per request. A token may expire; a revoked one
/// stays listed (when and which) but never authenticates again.
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
    /// <param name="lifetime">How long it is valid; null: until revoked.</param>
    public async Task<string> CreateAsync(string name, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        var token = "em_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO host_api_tokens (name, sha256, created_at, expires_at) VALUES (@name, @hash, @now, @expires)",
            new { name, hash = Hash(token), now, expires = now + lifetime }, cancellationToken: cancellationToken));
        return token;
    }

    /// <summary>The name of the token, or null when no such token exists or it is expired or revoked.</summary>
    public async Task<string?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 256)
            return null;
        await using var connection = await database.OpenAsync(cancellationToken);
        // Dates are stored as fixed-width UTC text, which orders like the instants it names.
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT name FROM host_api_tokens WHERE sha256 = @hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)",
            new { hash = Hash(token), now = time.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>Every token, oldest first.</summary>
    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var tokens = await connection.QueryAsync<ApiTokenInfo>(new CommandDefinition(
            "SELECT name, created_at, expires_at, revoked_at FROM host_api_tokens ORDER BY id", cancellationToken: cancellationToken));
        return tokens.AsList();
    }

    /// <summary>True when an active token already has <paramref name="name"/>.</summary>
    public async Task<bool> ActiveNameExistsAsync(string name, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).Any(t => t.Name == name && t.IsActive(time.GetUtcNow()));

    /// <summary>Revokes every not yet revoked token named <paramref name="name"/>; returns how many.</summary>
    public async Task<int> RevokeAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_api_tokens SET revoked_at = @now WHERE name = @name AND revoked_at IS NULL",
            new { name, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
    }

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
