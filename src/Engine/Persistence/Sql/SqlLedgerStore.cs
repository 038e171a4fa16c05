using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary><see cref="ILedgerStore"/> on SQLite or PostgreSQL: every call is its own committed transaction.</summary>
public sealed class SqlLedgerStore(StoreDatabase database) : ILedgerStore
{
    public async Task<LedgerEntry> RecordAsync(string instanceId, string activityId, string kind, string node, string name, JsonObject? details,
        DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO ledger (instance_id, activity_id, kind, node, name, details, created_at)
            VALUES (@instanceId, @activityId, @kind, @node, @name, @details, @createdAt)
            RETURNING id;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql,
            new { instanceId, activityId, kind, node, name, details, createdAt },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new LedgerEntry(id, instanceId, activityId, kind, node, name, details, createdAt, null);
    }

    public async Task<bool> ConfirmAsync(string instanceId, long entryId, JsonObject? mark, DateTimeOffset confirmedAt, CancellationToken cancellationToken)
    {
        const string select = "SELECT details FROM ledger WHERE id = @entryId AND instance_id = @instanceId AND released_at IS NULL;";
        const string update = "UPDATE ledger SET details = @details, confirmed_at = @confirmedAt WHERE id = @entryId AND instance_id = @instanceId;";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var found = (await connection.QueryAsync<JsonObject?>(new CommandDefinition(select, new { instanceId, entryId }, transaction, cancellationToken: cancellationToken))).AsList();
        if (found.Count == 0) return false;
        var details = found[0] ?? new JsonObject();
        foreach (var (key, value) in mark ?? new JsonObject()) details[key] = value?.DeepClone();
        await connection.ExecuteAsync(new CommandDefinition(update,
            new { instanceId, entryId, details, confirmedAt }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> ReleaseAsync(string instanceId, long entryId, DateTimeOffset releasedAt, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE ledger SET released_at = @releasedAt WHERE id = @entryId AND instance_id = @instanceId AND released_at IS NULL;";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(sql, new { instanceId, entryId, releasedAt },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows == 1;
    }

    public async Task<IReadOnlyList<LedgerEntry>> ListAsync(string instanceId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id, instance_id, activity_id, kind, node, name, details, created_at, released_at, confirmed_at
            FROM ledger WHERE instance_id = @instanceId ORDER BY id;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var entries = await connection.QueryAsync<LedgerEntry>(new CommandDefinition(sql, new { instanceId }, cancellationToken: cancellationToken));
        return entries.AsList();
    }
}
