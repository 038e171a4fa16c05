using System.Data;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>Journal rows: insert (inside the caller's transaction) and mapping back.</summary>
internal static class JournalSql
{
    public static async Task<JournalEntry> InsertAsync(IDbConnection connection, IDbTransaction transaction, JournalEntry entry, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO journal (instance_id, at, kind, activity_id, activity_type, outcome, duration_ms, message, data)
            VALUES (@InstanceId, @At, @Kind, @ActivityId, @ActivityType, @Outcome, @DurationMs, @Message, @Data)
            RETURNING id;
            """;
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, new
        {
            entry.InstanceId,
            At = DbTime.Format(entry.At),
            Kind = entry.Kind.ToString(),
            entry.ActivityId,
            entry.ActivityType,
            entry.Outcome,
            entry.DurationMs,
            entry.Message,
            Data = DbJson.Write(entry.Data),
        }, transaction, cancellationToken: cancellationToken));
        return entry with { Id = id };
    }

    public const string SelectColumns =
        "id AS Id, instance_id AS InstanceId, at AS At, kind AS Kind, activity_id AS ActivityId, activity_type AS ActivityType, " +
        "outcome AS Outcome, duration_ms AS DurationMs, message AS Message, data AS Data";

    /// <summary>A journal row as Dapper reads it.</summary>
    public sealed class Row
    {
        public long Id { get; set; }
        public string InstanceId { get; set; } = "";
        public string At { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? ActivityId { get; set; }
        public string? ActivityType { get; set; }
        public string? Outcome { get; set; }
        public double? DurationMs { get; set; }
        public string? Message { get; set; }
        public string? Data { get; set; }

        public JournalEntry ToEntry() => new(Id, InstanceId, DbTime.Parse(At), Enum.Parse<JournalKind>(Kind), ActivityId, ActivityType,
            Outcome, DurationMs, Message, DbJson.ReadObjectOrNull(Data));
    }
}
