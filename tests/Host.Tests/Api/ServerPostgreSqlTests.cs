using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Engine.Tests.Persistence;
using Npgsql;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary><c>serve</c> on PostgreSQL through <c>Database:ConnectionString</c>: tokens, definitions, admission and
/// instances live in the database and survive a restart.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class ServerPostgreSqlTests(PostgreSqlServer server) : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private string _db = "";

    public async Task InitializeAsync() => _db = await server.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        _timeout.Dispose();
        await server.DropDatabaseAsync(_db);
    }

    [Fact]
    public async Task A_server_configured_with_a_connection_string_admits_migrations_and_keeps_them_across_a_restart()
    {
        var configuration = new Dictionary<string, string?> { ["Database:ConnectionString"] = _db };
        string token;
        string instanceId;
        await using (var first = await RunningServer.StartAsync(null, configuration: configuration, cancellationToken: _timeout.Token))
        {
            token = first.Token;
            await TestWorkflows.ImportAsync(first.Client, TestWorkflows.Delaying("delay-flow", "00:05:00"), _timeout.Token);
            var started = await first.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("delay-flow", "200"), _timeout.Token);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            instanceId = (await started.Content.ReadFromJsonAsync<JsonObject>(_timeout.Token))!["instanceId"]!.GetValue<string>();
            var busy = await first.Client.PostAsJsonAsync("/api/migrations", MigrationApiTests.Start("delay-flow", "200"), _timeout.Token);
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
        }

        await using var second = await RunningServer.StartAsync(null, token, configuration, _timeout.Token);
        var definitions = await second.Client.GetFromJsonAsync<JsonArray>("/api/definitions", _timeout.Token);
        Assert.Contains(definitions!, d => d!["definitionId"]!.GetValue<string>() == "delay-flow");
        var migrations = await second.Client.GetStringAsync("/api/migrations", _timeout.Token);
        Assert.Contains(instanceId, migrations);
        // In PostgreSQL itself, not in some default SQLite file.
        await using var connection = new NpgsqlConnection(_db);
        await connection.OpenAsync(_timeout.Token);
        Assert.Equal(instanceId, await connection.ExecuteScalarAsync<string>("SELECT id FROM instances"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_api_tokens"));
    }
}
