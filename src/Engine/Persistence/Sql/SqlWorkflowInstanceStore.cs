using System.Data;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary><see cref="IWorkflowInstanceStore"/> on SQLite or PostgreSQL.</summary>
public sealed class SqlWorkflowInstanceStore(StoreDatabase database) : IWorkflowInstanceStore
{
    public async Task<IReadOnlyList<JournalEntry>> CreateAsync(WorkflowInstanceRecord instance, IReadOnlyList<JournalEntry> journal, LeaseClaim? lease,
        CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO instances (id, definition_id, definition_version, definition_name, definition_hash, status, variables, inputs,
                                   state, error, created_at, updated_at, finished_at, correlation_id, lease_holder, lease_expires_at)
            VALUES (@Id, @DefinitionId, @DefinitionVersion, @DefinitionName, @DefinitionHash, @Status, @Variables, @Inputs,
                    @State, @Error, @CreatedAt, @UpdatedAt, @FinishedAt, @CorrelationId, @LeaseHolder, @LeaseExpiresAt);
            """;
        var held = instance.Status == WorkflowStatus.Running ? lease : null;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(instance.DefinitionJson)));
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
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
            instance.Variables,
            instance.Inputs,
            State = instance.StateJson,
            instance.Error,
            instance.CreatedAt,
            instance.UpdatedAt,
            instance.FinishedAt,
            instance.CorrelationId,
            LeaseHolder = held?.Holder,
            LeaseExpiresAt = held?.ExpiresAt,
        }, transaction, cancellationToken: cancellationToken));
        var stored = await InsertJournalAsync(connection, transaction, journal, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<JournalEntry>> CommitAsync(InstanceCommit commit, CancellationToken cancellationToken)
    {
        // With a lease, taking (or keeping) the instance is this same conditional UPDATE: no separate lock statement.
        var update = commit.Lease is null
            ? $"UPDATE instances SET {UpdatedColumns} WHERE id = @InstanceId;"
            : $"""
              UPDATE instances SET {UpdatedColumns}, lease_holder = @LeaseHolder, lease_expires_at = @LeaseExpiresAt
              WHERE id = @InstanceId AND {(commit.Lease.Takes ? SqlInstanceLeaseStore.Claimable + (commit.Lease.LastSeen is null ? "" : " AND updated_at = @LastSeen") : "lease_holder = @Holder")};
              """;
        var held = commit.Status == WorkflowStatus.Running ? commit.Lease : null;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(update, new
        {
            commit.InstanceId,
            Status = commit.Status.ToString(),
            commit.Variables,
            State = commit.StateJson,
            commit.Error,
            commit.UpdatedAt,
            commit.FinishedAt,
            commit.CorrelationId,
            commit.Lease?.Holder,
            commit.Lease?.Now,
            commit.Lease?.LastSeen,
            LeaseHolder = held?.Holder,
            LeaseExpiresAt = held?.ExpiresAt,
        }, transaction, cancellationToken: cancellationToken));
        if (rows != 1 && commit.Lease is not null && await new SqlInstanceLeaseStore(database).GetAsync(commit.InstanceId, cancellationToken) is { } lease)
            throw new InstanceHeldException(commit.InstanceId, lease.Holder is null
                ? "no longer held by this process (another process took it over meanwhile, or changed it since this one read it)"
                : LeaseRules.DescribeHolder(lease, commit.Lease.Now));
        if (rows != 1)
            throw new InvalidOperationException($"Cannot commit the state of workflow instance '{commit.InstanceId}': it is not in the database (deleted while running?).");
        if (commit.Bookmarks is not null)
            await ReplaceBookmarksAsync(connection, transaction, commit.InstanceId, commit.Bookmarks, cancellationToken);
        var stored = await InsertJournalAsync(connection, transaction, commit.Journal, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    private const string UpdatedColumns = """
        status = @Status, variables = @Variables, state = @State, error = @Error, updated_at = @UpdatedAt, finished_at = @FinishedAt,
        correlation_id = COALESCE(@CorrelationId, correlation_id)
        """;

    public async Task<WorkflowInstanceRecord?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT i.id, i.definition_id, i.definition_version, i.definition_name, s.json AS definition_json, i.status, i.variables, i.inputs,
                   i.state AS state_json, i.error, i.created_at, i.updated_at, i.finished_at, i.correlation_id
            FROM instances i JOIN definition_snapshots s ON s.hash = i.definition_hash
            WHERE i.id = @instanceId;
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WorkflowInstanceRecord>(new CommandDefinition(sql, new { instanceId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WorkflowInstanceSummary>> ListAsync(InstanceQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("""
            SELECT id, definition_id, definition_version, definition_name, status, error, created_at, updated_at, finished_at, correlation_id
            FROM instances WHERE 1 = 1
            """);
        if (query.Status is not null) sql.Append(" AND status = @Status");
        if (query.DefinitionId is not null) sql.Append(" AND definition_id = @DefinitionId");
        if (query.CorrelationId is not null) sql.Append(" AND correlation_id = @CorrelationId");
        sql.Append(" ORDER BY created_at DESC, id LIMIT @Limit OFFSET @Offset;");
        await using var connection = await database.OpenAsync(cancellationToken);
        var summaries = await connection.QueryAsync<WorkflowInstanceSummary>(new CommandDefinition(sql.ToString(),
            new { Status = query.Status?.ToString(), query.DefinitionId, query.CorrelationId, query.Limit, query.Offset }, cancellationToken: cancellationToken));
        return summaries.AsList();
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
        var stored = await QueryBookmarksAsync("WHERE instance_id = @instanceId ORDER BY id", new { instanceId }, cancellationToken);
        return stored.Select(s => s.Bookmark).ToList();
    }

    public Task<IReadOnlyList<StoredBookmark>> FindBookmarksAsync(string name, CancellationToken cancellationToken) =>
        QueryBookmarksAsync("WHERE name = @name ORDER BY instance_id, id", new { name }, cancellationToken);

    public Task<IReadOnlyList<StoredBookmark>> GetTimersDueAsync(DateTimeOffset until, int limit, CancellationToken cancellationToken) =>
        QueryBookmarksAsync("WHERE resume_at IS NOT NULL AND resume_at <= @until ORDER BY resume_at LIMIT @limit",
            new { until, limit }, cancellationToken);

    public async Task<DateTimeOffset?> GetNextTimerAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<DateTimeOffset?>(new CommandDefinition(
            "SELECT MIN(resume_at) FROM bookmarks WHERE resume_at IS NOT NULL;", cancellationToken: cancellationToken));
    }

    private async Task<IReadOnlyList<StoredBookmark>> QueryBookmarksAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        // The instance id, then the bookmark's columns in its constructor order (split at "id").
        var sql = $"SELECT instance_id, id, activity_id, name, payload, resume_at FROM bookmarks {where};";
        await using var connection = await database.OpenAsync(cancellationToken);
        var stored = await connection.QueryAsync<string, Bookmark, StoredBookmark>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken),
            (instanceId, bookmark) => new StoredBookmark(instanceId, bookmark), splitOn: "id");
        return stored.AsList();
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
                bookmark.Payload,
                bookmark.ResumeAt,
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
}
