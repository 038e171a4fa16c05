using System.Data.Common;
using Elsa.Migration.Engine.Persistence.Schema;
using Elsa.Migration.Engine.Persistence.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Elsa.Migration.Engine.Persistence.PostgreSql;

/// <summary>
/// A PostgreSQL database (Npgsql, pooled by connection string). The engine's tables are its own numbered scripts
/// (<see cref="PostgreSqlEngineSchema"/>); write transactions hold the dialect's database-wide write lock. One host per
/// database for now: leases and takeover for several hosts are not built yet.
/// </summary>
public sealed class PostgreSqlDatabase : StoreDatabase
{
    private readonly string _connectionString;

    /// <summary>Creates the accessor; <paramref name="connectionString"/> is checked here (<see cref="PostgreSqlConnectionString"/>), the server on first use.</summary>
    public PostgreSqlDatabase(string connectionString, ILogger<PostgreSqlDatabase> logger)
        : this(connectionString, logger, PostgreSqlEngineSchema.Migrations) { }

    internal PostgreSqlDatabase(string connectionString, ILogger logger, SchemaMigrations engineSchema)
        : base(new PostgreSqlSchemaDialect(), engineSchema, logger)
    {
        var builder = PostgreSqlConnectionString.Parse(connectionString);
        _connectionString = builder.ConnectionString;
        Display = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        var data = Path.GetDirectoryName(Runtime.MigrationEngineOptions.DefaultDatabasePath()) ?? ".";
        var name = string.Concat($"postgresql-{builder.Host}-{builder.Port}-{builder.Database ?? builder.Username}".Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        SideFilesPath = Path.Combine(data, name);
    }

    public override DatabaseEngine Engine => DatabaseEngine.PostgreSql;

    public override string Display { get; }

    public override string SideFilesPath { get; }

    private protected override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"Cannot connect to {Display}: {e.Message}. Check that the server runs and accepts this host, user and password (pg_hba.conf), and that the database exists.", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
