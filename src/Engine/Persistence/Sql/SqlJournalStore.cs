using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary><see cref="IJournalStore"/> on SQLite or PostgreSQL.</summary>
public sealed class SqlJournalStore(StoreDatabase database) : IJournalStore
{
    public async Task<JournalEntry> AppendAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var stored = await JournalSql.InsertAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, long afterId, int limit, CancellationToken cancellationToken)
    {
        var sql = $"SELECT {JournalSql.Columns} FROM journal WHERE instance_id = @instanceId AND id > @afterId ORDER BY id LIMIT @limit;";
        await using var connection = await database.OpenAsync(cancellationToken);
        var entries = await connection.QueryAsync<JournalEntry>(new CommandDefinition(sql, new { instanceId, afterId, limit }, cancellationToken: cancellationToken));
        return entries.AsList();
    }
}
