using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Persistence.Schema;

/// <summary>Brings a database to the newest version of one schema: each script in its own exclusive transaction, recorded
/// in the schema's version table in that same transaction.</summary>
internal sealed class SchemaMigrator(ISchemaDialect dialect, ILogger logger)
{
    /// <summary>Applies every script newer than the database's version; returns the version reached.</summary>
    public async Task<int> MigrateAsync(DbConnection connection, SchemaMigrations schema, CancellationToken cancellationToken)
    {
        var table = schema.VersionTable;
        await dialect.EnsureVersionTableAsync(connection, table, cancellationToken);
        var current = await ReadVersionAsync(connection, null, table, cancellationToken);
        foreach (var script in schema.Scripts)
        {
            if (script.Version <= current)
                continue;
            await using var transaction = await dialect.BeginExclusiveAsync(connection, cancellationToken);
            // Read again under the lock: another process may have applied it since.
            current = await ReadVersionAsync(connection, transaction, table, cancellationToken);
            if (script.Version <= current)
                continue;
            await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {table} (version, description, applied_at) VALUES (@Version, @Description, @AppliedAt);",
                new { script.Version, script.Description, AppliedAt = DateTimeOffset.UtcNow }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            current = script.Version;
            logger.LogInformation("Applied schema migration {VersionTable} {Version}: {Description}", table, script.Version, script.Description);
        }
        return current;
    }

    private static Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT COALESCE(MAX(version), 0) FROM {table};", transaction: transaction, cancellationToken: cancellationToken));
}
