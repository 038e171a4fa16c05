using System.Data.Common;
using Dapper;
using Elsa.Migration.Engine.Persistence.Schema;
using Microsoft.Data.Sqlite;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>The SQLite side of schema migrations.</summary>
internal sealed class SqliteSchemaDialect : ISchemaDialect
{
    public async Task EnsureVersionTableAsync(DbConnection connection, string versionTable, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition($"""
            CREATE TABLE IF NOT EXISTS {versionTable} (
                version     INTEGER NOT NULL PRIMARY KEY,
                description TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL
            );
            """, cancellationToken: cancellationToken));
        // The host's own migrator (before this shared one) created host_schema_version without a description.
        if (await HasDescriptionAsync(connection, null, versionTable, cancellationToken))
            return;
        await using var transaction = await BeginExclusiveAsync(connection, cancellationToken);
        if (!await HasDescriptionAsync(connection, transaction, versionTable, cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"ALTER TABLE {versionTable} ADD COLUMN description TEXT NOT NULL DEFAULT '';", transaction: transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
    }

    // BEGIN IMMEDIATE takes the write lock at once (a deferred transaction would only take it at its first write).
    public Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    private static async Task<bool> HasDescriptionAsync(DbConnection connection, DbTransaction? transaction, string versionTable, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM pragma_table_info(@versionTable) WHERE name = 'description';", new { versionTable }, transaction,
            cancellationToken: cancellationToken)) > 0;
}
