using System.Text.Json.Nodes;
using Dapper;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>SQLite <see cref="ILedgerStore"/>: every call is its own committed transaction.</summary>
public sealed class SqliteLedgerStore(SqliteDatabase database) : ILedgerStore
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
        await using var transaction = connection.BeginTransaction(deferred: false);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql,
            new { instanceId, activityId, kind, node, name, details = DbJson.Write(details), createdAt = DbTime.Format(createdAt) },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new LedgerEntry(id, instanceId, activityId, kind, node, name, details, createdAt, null);
    }

    public async Task<bool> ConfirmAsync(string instanceId, long entryId, JsonObject? mark, DateTimeOffset confirmedAt, CancellationToken cancellationToken)
    {
        const string select = "SELECT details FROM ledger WHERE id = @entryId AND instance_id = @instanceId AND released_at IS NULL;";
        const string update = "UPDATE ledger SET details = @details, confirmed_at = @confirmedAt WHERE id = @entryId AND instance_id = @instanceId;";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var found = await connection.QueryAsync<string?>(new CommandDefinition(select, new { instanceId, entryId }, transaction, cancellationToken: cancellationToken));
        var rows = found.ToList();
        if (rows.Count == 0) return false;
        var details = DbJson.ReadObjectOrNull(rows[0]) ?? new JsonObject();
        foreach (var (key, value) in mark ?? new JsonObject()) details[key] = value?.DeepClone();
        await connection.ExecuteAsync(new CommandDefinition(update,
            new { instanceId, entryId, details = DbJson.Write(details), confirmedAt = DbTime.Format(confirmedAt) }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> ReleaseAsync(string instanceId, long entryId, DateTimeOffset releasedAt, CancellationToken cancellationToken)
    {
        const string sql = "UPDATE ledger SET released_at = @releasedAt WHERE id = @entryId AND instance_id = @instanceId AND released_at IS NULL;";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var rows = await connection.ExecuteAsync(new CommandDefinition(sql, new { instanceId, entryId, releasedAt = DbTime.Format(releasedAt) },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows == 1;
    }

    public async Task<IReadOnlyList<LedgerEntry>> ListAsync(string instanceId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id AS Id, instance_id AS InstanceId, activity_id AS ActivityId, kind AS Kind, node AS Node, name AS Name,
                   details AS Details, created_at AS CreatedAt, released_at AS ReleasedAt, confirmed_at AS ConfirmedAt
            FROM ledger WHERE instance_id = @instanceId ORDER BY id;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql, new { instanceId }, cancellationToken: cancellationToken));
        return rows.Select(r => new LedgerEntry(r.Id, r.InstanceId, r.ActivityId, r.Kind, r.Node, r.Name, DbJson.ReadObjectOrNull(r.Details),
            DbTime.Parse(r.CreatedAt), DbTime.ParseNullable(r.ReleasedAt), DbTime.ParseNullable(r.ConfirmedAt))).ToList();
    }

    private sealed class Row
    {
        public long Id { get; set; }
        public string InstanceId { get; set; } = "";
        public string ActivityId { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Node { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Details { get; set; }
        public string CreatedAt { get; set; } = "";
        public string? ReleasedAt { get; set; }
        public string? ConfirmedAt { get; set; }
    }
}
