using System.Data;
using System.Text.Json.Nodes;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary><see cref="IWorkflowDefinitionStore"/> on SQLite or PostgreSQL; each change is one transaction.</summary>
public sealed class SqlWorkflowDefinitionStore(StoreDatabase database, TimeProvider time) : IWorkflowDefinitionStore
{
    // In StoredWorkflowDefinition's constructor order.
    private const string Columns = "definition_id, version, name, is_latest, is_published, json, created_at, updated_at";

    public async Task<StoredWorkflowDefinition> SaveDraftAsync(string definitionId, string name, string json, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(definitionId);
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var latest = await QueryOneAsync(connection, transaction, "WHERE definition_id = @definitionId AND is_latest = 1", new { definitionId }, cancellationToken);
        int version;
        if (latest is { IsPublished: false })
        {
            // The latest version is still a draft: edit it in place (Studio auto-saves often).
            version = latest.Version;
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE definitions SET name = @name, json = @json, updated_at = @now WHERE definition_id = @definitionId AND version = @version;",
                new { definitionId, version, name, json, now }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            version = (latest?.Version ?? 0) + 1;
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE definitions SET is_latest = 0 WHERE definition_id = @definitionId;", new { definitionId }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO definitions (definition_id, version, name, is_latest, is_published, json, created_at, updated_at)
                VALUES (@definitionId, @version, @name, 1, 0, @json, @now, @now);
                """, new { definitionId, version, name, json, now }, transaction, cancellationToken: cancellationToken));
        }
        var saved = await QueryOneAsync(connection, transaction, "WHERE definition_id = @definitionId AND version = @version", new { definitionId, version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return saved!;
    }

    public async Task<StoredWorkflowDefinition> PublishAsync(string definitionId, int? version, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var target = version is null
            ? await QueryOneAsync(connection, transaction, "WHERE definition_id = @definitionId AND is_latest = 1", new { definitionId }, cancellationToken)
            : await QueryOneAsync(connection, transaction, "WHERE definition_id = @definitionId AND version = @version", new { definitionId, version }, cancellationToken);
        if (target is null)
            throw new KeyNotFoundException($"Workflow definition '{definitionId}'{(version is null ? "" : $" version {version}")} does not exist: save it first.");
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE definitions SET is_published = CASE WHEN version = @version THEN 1 ELSE 0 END,
                                   updated_at = CASE WHEN version = @version THEN @now ELSE updated_at END
            WHERE definition_id = @definitionId;
            """, new { definitionId, version = target.Version, now }, transaction, cancellationToken: cancellationToken));
        var published = await QueryOneAsync(connection, transaction, "WHERE definition_id = @definitionId AND version = @version",
            new { definitionId, version = target.Version }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return published!;
    }

    public async Task<bool> RetractAsync(string definitionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE definitions SET is_published = 0 WHERE definition_id = @definitionId AND is_published = 1;", new { definitionId },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows > 0;
    }

    public Task<StoredWorkflowDefinition?> GetLatestAsync(string definitionId, CancellationToken cancellationToken) =>
        GetOneAsync("WHERE definition_id = @definitionId AND is_latest = 1", new { definitionId }, cancellationToken);

    public Task<StoredWorkflowDefinition?> GetPublishedAsync(string definitionId, CancellationToken cancellationToken) =>
        GetOneAsync("WHERE definition_id = @definitionId AND is_published = 1", new { definitionId }, cancellationToken);

    public Task<StoredWorkflowDefinition?> GetVersionAsync(string definitionId, int version, CancellationToken cancellationToken) =>
        GetOneAsync("WHERE definition_id = @definitionId AND version = @version", new { definitionId, version }, cancellationToken);

    public Task<IReadOnlyList<StoredWorkflowDefinition>> ListLatestAsync(CancellationToken cancellationToken) =>
        GetManyAsync("WHERE is_latest = 1 ORDER BY name, definition_id", new { }, cancellationToken);

    public Task<IReadOnlyList<StoredWorkflowDefinition>> ListVersionsAsync(string definitionId, CancellationToken cancellationToken) =>
        GetManyAsync("WHERE definition_id = @definitionId ORDER BY version DESC", new { definitionId }, cancellationToken);

    public async Task<bool> DeleteAsync(string definitionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM definitions WHERE definition_id = @definitionId;",
            new { definitionId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows > 0;
    }

    private async Task<StoredWorkflowDefinition?> GetOneAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await QueryOneAsync(connection, null, where, parameters, cancellationToken);
    }

    private async Task<IReadOnlyList<StoredWorkflowDefinition>> GetManyAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var stored = await connection.QueryAsync<StoredWorkflowDefinition>(new CommandDefinition($"SELECT {Columns} FROM definitions {where};", parameters,
            cancellationToken: cancellationToken));
        return stored.Select(WithRowFacts).ToList();
    }

    private static async Task<StoredWorkflowDefinition?> QueryOneAsync(IDbConnection connection, IDbTransaction? transaction, string where, object parameters,
        CancellationToken cancellationToken)
    {
        var stored = await connection.QuerySingleOrDefaultAsync<StoredWorkflowDefinition>(new CommandDefinition($"SELECT {Columns} FROM definitions {where};",
            parameters, transaction, cancellationToken: cancellationToken));
        return stored is null ? null : WithRowFacts(stored);
    }

    // The document's version flags follow the row, so what the store returns is what Studio expects to see.
    private static StoredWorkflowDefinition WithRowFacts(StoredWorkflowDefinition stored)
    {
        if (JsonNode.Parse(stored.Json) is not JsonObject document)
            return stored;
        document["definitionId"] = stored.DefinitionId;
        document["version"] = stored.Version;
        document["isLatest"] = stored.IsLatest;
        document["isPublished"] = stored.IsPublished;
        return stored with { Json = document.ToJsonString() };
    }
}
