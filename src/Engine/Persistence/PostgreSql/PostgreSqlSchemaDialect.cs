using System.Data.Common;
using Dapper;
using Elsa.Migration.Engine.Persistence.Schema;

namespace Elsa.Migration.Engine.Persistence.PostgreSql;

/// <summary>
/// The PostgreSQL side of schema migrations and write transactions. A write transaction takes one transaction-level
/// advisory lock for the whole database, so writers are serialised exactly as SQLite's <c>BEGIN IMMEDIATE</c> serialises
/// them and every store's check-then-write stays atomic with the same SQL (read committed: after the lock, each
/// statement sees every earlier writer's commit). Narrower locks (rows, leases) are for when several hosts share a database.
/// </summary>
internal sealed class PostgreSqlSchemaDialect : ISchemaDialect
{
    /// <summary>The advisory lock key of the write lock ("ElsaMig" in ASCII): any constant works if every writer uses it.</summary>
    internal const long WriteLockKey = 0x456C73614D6967;

    public async Task EnsureVersionTableAsync(DbConnection connection, string versionTable, CancellationToken cancellationToken)
    {
        // Under the lock: two processes running CREATE TABLE IF NOT EXISTS at once can still collide in the catalog.
        await using var transaction = await BeginExclusiveAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""
            CREATE TABLE IF NOT EXISTS {versionTable} (
                version     INTEGER NOT NULL PRIMARY KEY,
                description TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL
            );
            """, transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key);", new { key = WriteLockKey }, transaction,
                cancellationToken: cancellationToken));
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }
}
