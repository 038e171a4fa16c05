using System.Data;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>Journal rows: insert (inside the caller's transaction) and the columns that read back as <see cref="JournalEntry"/>.</summary>
internal static class JournalSql
{
    public static async Task<JournalEntry> InsertAsync(IDbConnection connection, IDbTransaction transaction, JournalEntry entry, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO journal (instance_id, at, kind, activity_id, activity_type, outcome, duration_ms, message, data, host)
            VALUES (@InstanceId, @At, @Kind, @ActivityId, @ActivityType, @Outcome, @DurationMs, @Message, @Data, @Host)
            RETURNING id;
            """;
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new
        {
            entry.InstanceId,
            entry.At,
            Kind = entry.Kind.ToString(),
            entry.ActivityId,
            entry.ActivityType,
            entry.Outcome,
            entry.DurationMs,
            entry.Message,
            entry.Data,
            entry.Host,
        }, transaction, cancellationToken: cancellationToken));
        return entry with { Id = id };
    }

    /// <summary>In <see cref="JournalEntry"/>'s constructor order.</summary>
    public const string Columns = "id, instance_id, at, kind, activity_id, activity_type, outcome, duration_ms, message, data, host";
}
