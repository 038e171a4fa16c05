using System.Data;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>SQLite <see cref="IWorkflowInstanceStore"/>.</summary>
public sealed class SqliteWorkflowInstanceStore(SqliteDatabase database) : IWorkflowInstanceStore
{
    public async Task<IReadOnlyList<JournalEntry>> CreateAsync(WorkflowInstanceRecord instance, IReadOnlyList<JournalEntry> journal, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO instances (id, definition_id, definition_version, definition_name, definition_hash, status, variables, inputs,
                                   state, error, created_at, updated_at, finished_at, correlation_id)
            VALUES (@Id, @DefinitionId, @DefinitionVersion, @DefinitionName, @DefinitionHash, @Status, @Variables, @Inputs,
                    @State, @Error, @CreatedAt, @UpdatedAt, @FinishedAt, @CorrelationId);
            """;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instance.DefinitionJson)));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO definition_snapshots (hash, json) VALUES (@hash, @json) ON CONFLICT (hash) DO NOTHING;",
            new { hash, json = instance.DefinitionJson }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            instance.Id,
            instance.DefinitionId,
            instance.DefinitionVersion,
            instance.DefinitionName,
            DefinitionHash = hash,
            Status = instance.Status.ToString(),
            Variables = DbJson.Write(instance.Variables),
            Inputs = DbJson.Write(instance.Inputs),
            State = instance.StateJson,
            instance.Error,
            CreatedAt = DbTime.Format(instance.CreatedAt),
            UpdatedAt = DbTime.Format(instance.UpdatedAt),
            FinishedAt = DbTime.Format(instance.FinishedAt),
            instance.CorrelationId,
        }, transaction, cancellationToken: cancellationToken));
        var stored = await InsertJournalAsync(connection, transaction, journal, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<JournalEntry>> CommitAsync(InstanceCommit commit, CancellationToken cancellationToken)
    {
        const string update = """
            UPDATE instances SET status = @Status, variables = @Variables, state = @State, error = @Error,
                                 updated_at = @UpdatedAt, finished_at = @FinishedAt,
                                 correlation_id = COALESCE(@CorrelationId, correlation_id)
            WHERE id = @InstanceId;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var rows = await connection.ExecuteAsync(new CommandDefinition(update, new
        {
            commit.InstanceId,
            Status = commit.Status.ToString(),
            Variables = DbJson.Write(commit.Variables),
            State = commit.StateJson,
            commit.Error,
            UpdatedAt = DbTime.Format(commit.UpdatedAt),
            FinishedAt = DbTime.Format(commit.FinishedAt),
            commit.CorrelationId,
        }, transaction, cancellationToken: cancellationToken));
        if (rows != 1)
            throw new InvalidOperationException($"Cannot commit the state of workflow instance '{commit.InstanceId}': it is not in the database (deleted while running?).");
        if (commit.Bookmarks is not null)
            await ReplaceBookmarksAsync(connection, transaction, commit.InstanceId, commit.Bookmarks, cancellationToken);
        var stored = await InsertJournalAsync(connection, transaction, commit.Journal, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<WorkflowInstanceRecord?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT id AS Id, definition_id AS DefinitionId, definition_version AS DefinitionVersion, definition_name AS DefinitionName,
                   s.json AS DefinitionJson, status AS Status, variables AS Variables, inputs AS Inputs, state AS State,
                   error AS Error, created_at AS CreatedAt, updated_at AS UpdatedAt, finished_at AS FinishedAt, correlation_id AS CorrelationId
            FROM instances i JOIN definition_snapshots s ON s.hash = i.definition_hash
            WHERE i.id = @instanceId;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstanceRow>(new CommandDefinition(sql, new { instanceId }, cancellationToken: cancellationToken));
        return row is null ? null : new WorkflowInstanceRecord(row.Id, row.DefinitionId, (int)row.DefinitionVersion, row.DefinitionName, row.DefinitionJson,
            Enum.Parse<WorkflowStatus>(row.Status), DbJson.ReadObject(row.Variables), DbJson.ReadObject(row.Inputs), row.State, row.Error,
            DbTime.Parse(row.CreatedAt), DbTime.Parse(row.UpdatedAt), DbTime.ParseNullable(row.FinishedAt), row.CorrelationId);
    }

    public async Task<IReadOnlyList<WorkflowInstanceSummary>> ListAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("""
            SELECT id AS Id, definition_id AS DefinitionId, definition_version AS DefinitionVersion, definition_name AS DefinitionName,
                   status AS Status, error AS Error, created_at AS CreatedAt, updated_at AS UpdatedAt, finished_at AS FinishedAt,
                   correlation_id AS CorrelationId
            FROM instances WHERE 1 = 1
            """);
        if (query.Status is not null) sql.Append(" AND status = @Status");
        if (query.DefinitionId is not null) sql.Append(" AND definition_id = @DefinitionId");
        if (query.CorrelationId is not null) sql.Append(" AND correlation_id = @CorrelationId");
        sql.Append(" ORDER BY created_at DESC, id LIMIT @Limit OFFSET @Offset;");
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InstanceRow>(new CommandDefinition(sql.ToString(),
            new { Status = query.Status?.ToString(), query.DefinitionId, query.CorrelationId, query.Limit, query.Offset }, cancellationToken: cancellationToken));
        return rows.Select(r => new WorkflowInstanceSummary(r.Id, r.DefinitionId, (int)r.DefinitionVersion, r.DefinitionName, Enum.Parse<WorkflowStatus>(r.Status),
            r.Error, DbTime.Parse(r.CreatedAt), DbTime.Parse(r.UpdatedAt), DbTime.ParseNullable(r.FinishedAt), r.CorrelationId)).ToList();
    }

    public async Task<IReadOnlyList<string>> ListIdsAsync(WorkflowStatus status, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM instances WHERE status = @status ORDER BY created_at;", new { status = status.ToString() }, cancellationToken: cancellationToken));
        return ids.ToList();
    }

    public async Task<IReadOnlyList<Bookmark>> GetBookmarksAsync(string instanceId, CancellationToken cancellationToken)
    {
        var rows = await QueryBookmarksAsync("WHERE instance_id = @instanceId ORDER BY id", new { instanceId }, cancellationToken);
        return rows.Select(r => r.Bookmark).ToList();
    }

    public Task<IReadOnlyList<StoredBookmark>> FindBookmarksAsync(string name, CancellationToken cancellationToken) =>
        QueryBookmarksAsync("WHERE name = @name ORDER BY instance_id, id", new { name }, cancellationToken);

    public Task<IReadOnlyList<StoredBookmark>> GetTimersDueAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken) =>
        QueryBookmarksAsync("WHERE resume_at IS NOT NULL AND resume_at <= @until ORDER BY resume_at LIMIT @limit",
            new { until = DbTime.Format(until), limit }, cancellationToken);

    public async Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT MIN(resume_at) FROM bookmarks WHERE resume_at IS NOT NULL;", cancellationToken: cancellationToken));
        return DbTime.ParseNullable(next);
    }

    private async Task<IReadOnlyList<StoredBookmark>> QueryBookmarksAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        var sql = $"SELECT id AS Id, instance_id AS InstanceId, activity_id AS ActivityId, name AS Name, payload AS Payload, resume_at AS ResumeAt FROM bookmarks {where};";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BookmarkRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.Select(r => new StoredBookmark(r.InstanceId,
            new Bookmark(r.Id, r.ActivityId, r.Name, DbJson.Read(r.Payload), DbTime.ParseNullable(r.ResumeAt)))).ToList();
    }

    private static async Task ReplaceBookmarksAsync(IDbConnection connection, IDbTransaction transaction, string instanceId,
        IReadOnlyList<Bookmark> bookmarks, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM bookmarks WHERE instance_id = @instanceId;", new { instanceId },
            transaction, cancellationToken: cancellationToken));
        foreach (var bookmark in bookmarks)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO bookmarks (id, instance_id, activity_id, name, payload, resume_at)
                VALUES (@Id, @InstanceId, @ActivityId, @Name, @Payload, @ResumeAt);
                """, new
            {
                bookmark.Id,
                InstanceId = instanceId,
                bookmark.ActivityId,
                bookmark.Name,
                Payload = DbJson.Write(bookmark.Payload),
                ResumeAt = DbTime.Format(bookmark.ResumeAt),
            }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static async Task<IReadOnlyList<JournalEntry>> InsertJournalAsync(IDbConnection connection, IDbTransaction transaction,
        IReadOnlyList<JournalEntry> journal, CancellationToken cancellationToken)
    {
        var stored = new List<JournalEntry>(journal.Count);
        foreach (var entry in journal)
            stored.Add(await JournalSql.InsertAsync(connection, transaction, entry, cancellationToken));
        return stored;
    }

    private sealed class InstanceRow
    {
        public string Id { get; set; } = "";
        public string DefinitionId { get; set; } = "";
        public long DefinitionVersion { get; set; }
        public string DefinitionName { get; set; } = "";
        public string DefinitionJson { get; set; } = "";
        public string Status { get; set; } = "";
        public string Variables { get; set; } = "{}";
        public string Inputs { get; set; } = "{}";
        public string State { get; set; } = "{}";
        public string? Error { get; set; }
        public string CreatedAt { get; set; } = "";
        public string UpdatedAt { get; set; } = "";
        public string? FinishedAt { get; set; }
        public string? CorrelationId { get; set; }
    }

    private sealed class BookmarkRow
    {
        public string Id { get; set; } = "";
        public string InstanceId { get; set; } = "";
        public string ActivityId { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Payload { get; set; }
        public string? ResumeAt { get; set; }
    }
}
