using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>Brings a database to the newest schema version, one transaction per script, recorded in <c>schema_version</c>.</summary>
internal sealed class SchemaMigrator(IReadOnlyList<SchemaScript> scripts, ILogger logger)
{
    /// <summary>Applies every script newer than the database's version; returns the version reached.</summary>
    public async Task<int> MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // WAL is a property of the file: set once, it stays. Readers then never block the writer.
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL;", cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            CREATE TABLE IF NOT EXISTS schema_version (
                version     INTEGER NOT NULL PRIMARY KEY,
                description TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL
            );
            """, cancellationToken: cancellationToken));

        var current = 0;
        foreach (var script in scripts.OrderBy(s => s.Version))
        {
            // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once apply each script once.
            await using var transaction = connection.BeginTransaction(deferred: false);
            current = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version;", transaction: transaction, cancellationToken: cancellationToken));
            if (script.Version <= current)
                continue;
            await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (@Version, @Description, @AppliedAt);",
                new { script.Version, script.Description, AppliedAt = DbTime.Format(DateTimeOffset.UtcNow) },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            current = script.Version;
            logger.LogInformation("Applied schema migration {Version}: {Description}", script.Version, script.Description);
        }
        return current;
    }
}
