using Dapper;
using Elsa.Migration.Host.Server;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Auth;

/// <summary>The API token: created on the first start, shown once, stored only as a SHA-256 hash.</summary>
public sealed class TokenTests
{
    [Fact]
    public async Task The_first_start_creates_one_token_that_is_stored_hashed_and_a_restart_creates_none()
    {
        using var db = new TempDatabase();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string token;
        await using (var first = await RunningServer.StartAsync(db.Path, cancellationToken: timeout.Token))
        {
            token = first.Token;
            await using var connection = await first.Services.GetRequiredService<HostDatabase>().OpenAsync(timeout.Token);
            var rows = (await connection.QueryAsync<(string Name, string Sha256)>("SELECT name, sha256 FROM host_api_tokens")).ToList();
            var row = Assert.Single(rows);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))), row.Sha256);
            Assert.DoesNotContain(token, await File.ReadAllTextAsync(db.Path, timeout.Token) + await ReadWalAsync(db.Path));
        }

        await using var second = await RunningServer.StartAsync(db.Path, token, cancellationToken: timeout.Token);
        Assert.True((await second.Client.GetAsync("/api/migrations", timeout.Token)).IsSuccessStatusCode);
        await using var check = await second.Services.GetRequiredService<HostDatabase>().OpenAsync(timeout.Token);
        Assert.Equal(1, await check.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_api_tokens"));
    }

    private static async Task<string> ReadWalAsync(string path) =>
        File.Exists(path + "-wal") ? Convert.ToBase64String(await File.ReadAllBytesAsync(path + "-wal")) + System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(path + "-wal")) : "";
}
