using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary><see cref="IInstanceLeaseStore"/> on SQLite or PostgreSQL (the same SQL).</summary>
public sealed class SqlInstanceLeaseStore(StoreDatabase database) : IInstanceLeaseStore
{
    /// <summary>The condition under which <c>@Holder</c> may write an instance row: no one holds it, it holds it itself,
    /// or the holder's lease expired before <c>@Now</c>. Timestamps are fixed-width UTC text: they compare by instant.</summary>
    internal const string Claimable = "(lease_holder IS NULL OR lease_holder = @Holder OR lease_expires_at IS NULL OR lease_expires_at < @Now)";

    public async Task RegisterAsync(RuntimeHostIdentity host, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO runtime_hosts (id, host_name, pid, started_at, renewed_at) VALUES (@Id, @HostName, @Pid, @now, @now)
            ON CONFLICT (id) DO UPDATE SET renewed_at = excluded.renewed_at;
            """, new { host.Id, host.HostName, host.Pid, now }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<int> RenewAsync(string holder, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE runtime_hosts SET renewed_at = @now WHERE id = @holder;",
            new { holder, now }, transaction, cancellationToken: cancellationToken));
        var renewed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE instances SET lease_expires_at = @expiresAt WHERE lease_holder = @holder;",
            new { holder, expiresAt }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return renewed;
    }

    public async Task ReleaseAsync(string holder, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE instances SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = @holder;",
            new { holder }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM runtime_hosts WHERE id = @holder;",
            new { holder }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<InstanceLease?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<InstanceLease>(new CommandDefinition("""
            SELECT i.lease_holder AS holder, i.lease_expires_at AS expires_at, h.host_name, h.pid, h.renewed_at
            FROM instances i LEFT JOIN runtime_hosts h ON h.id = i.lease_holder
            WHERE i.id = @instanceId;
            """, new { instanceId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<RuntimeHostRow>> ListHostsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RuntimeHostRow>(new CommandDefinition("""
            SELECT h.id, h.host_name, h.pid, h.started_at, h.renewed_at,
                   (SELECT COUNT(*) FROM instances i WHERE i.lease_holder = h.id AND i.status = 'Running') AS instances
            FROM runtime_hosts h ORDER BY h.started_at, h.id;
            """, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<(string InstanceId, InstanceLease Lease)>> ListRunningNotHeldByAsync(string me, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunningLease>(new CommandDefinition("""
            SELECT i.id AS instance_id, i.lease_holder AS holder, i.lease_expires_at AS expires_at, h.host_name, h.pid, h.renewed_at
            FROM instances i LEFT JOIN runtime_hosts h ON h.id = i.lease_holder
            WHERE i.status = 'Running' AND (i.lease_holder IS NULL OR i.lease_holder <> @me)
            ORDER BY i.created_at;
            """, new { me }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.InstanceId, new InstanceLease(r.Holder, r.ExpiresAt, r.HostName, r.Pid, r.RenewedAt)))];
    }

    private sealed record RunningLease(string InstanceId, string? Holder, DateTimeOffset? ExpiresAt, string? HostName, long? Pid, DateTimeOffset? RenewedAt);
}
