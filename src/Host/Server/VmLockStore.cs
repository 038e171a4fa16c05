using Dapper;

namespace Elsa.Migration.Host.Server;

/// <summary>What <see cref="VmLockStore.TryAcquireAsync"/> decided.</summary>
public abstract record VmLockResult
{
    private VmLockResult() { }

    /// <summary>The lock is held under <see cref="Reservation"/> until <see cref="VmLockStore.BindAsync"/> names the instance.</summary>
    public sealed record Acquired(string Reservation) : VmLockResult;

    /// <summary>The VM is being migrated by another instance.</summary>
    public sealed record VmBusy(string VmId, string HolderInstanceId, string HolderStartedBy) : VmLockResult;

    /// <summary>A node already runs its maximum of concurrent migrations.</summary>
    public sealed record NodeFull(string Node, int Limit) : VmLockResult;
}

/// <summary>
/// The VM lock and per-node limit, enforced in the database (table <c>host_vm_locks</c>) so that every process using the
/// file, CLI, API and scheduler alike, respects it. A row exists while its instance is active; rows whose instance has
/// ended (or whose process died before naming the instance) are stale and removed before each acquisition.
/// Acquisition is one <c>BEGIN IMMEDIATE</c> transaction: check then insert, with no other writer in between.
/// </summary>
public sealed class VmLockStore(HostDatabase database, TimeProvider time)
{
    private const string ReservationPrefix = "reservation:";
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    private sealed record HeldLock(string VmId, string InstanceId, string StartedBy, DateTimeOffset AcquiredAt);

    private const string SelectLocks = "SELECT vm_id, instance_id, started_by, acquired_at FROM host_vm_locks";

    /// <summary>Takes the lock of <paramref name="vmId"/> (null: no VM lock, node limits only) and one slot on each node.</summary>
    /// <param name="isActiveAsync">Whether an instance is still running or suspended (asks the runtime's store); null when
    /// the instance does not exist (yet: the lock is bound just before the runtime creates it).</param>
    public async Task<VmLockResult> TryAcquireAsync(
        string? vmId, IReadOnlyCollection<string> nodes, string startedBy, int maxPerNode,
        Func<string, CancellationToken, Task<bool?>> isActiveAsync, CancellationToken cancellationToken)
    {
        await RemoveStaleAsync(isActiveAsync, cancellationToken);
        var reservation = ReservationPrefix + Guid.NewGuid().ToString("N");
        var key = vmId ?? "no-vm:" + reservation;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = connection.BeginTransaction(deferred: false);
        if (vmId is not null)
        {
            var holder = await connection.QuerySingleOrDefaultAsync<HeldLock>(new CommandDefinition(
                $"{SelectLocks} WHERE vm_id = @vmId", new { vmId }, tx, cancellationToken: cancellationToken));
            if (holder is not null)
                return new VmLockResult.VmBusy(vmId, holder.InstanceId, holder.StartedBy);
        }
        foreach (var node in nodes)
        {
            var running = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM host_vm_locks WHERE instr(nodes, @needle) > 0", new { needle = "|" + node + "|" }, tx,
                cancellationToken: cancellationToken));
            if (running >= maxPerNode)
                return new VmLockResult.NodeFull(node, maxPerNode);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO host_vm_locks (vm_id, instance_id, nodes, started_by, acquired_at)
            VALUES (@key, @reservation, @nodes, @startedBy, @now)
            """,
            new { key, reservation, nodes = "|" + string.Join("|", nodes) + "|", startedBy, now = time.GetUtcNow() }, tx,
            cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new VmLockResult.Acquired(reservation);
    }

    /// <summary>Names the instance that holds a reservation.</summary>
    public async Task BindAsync(string reservation, string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE host_vm_locks SET instance_id = @instanceId WHERE instance_id = @reservation",
            new { reservation, instanceId }, cancellationToken: cancellationToken));
    }

    /// <summary>Releases whatever an instance (or a reservation) holds.</summary>
    public async Task ReleaseAsync(string instanceIdOrReservation, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM host_vm_locks WHERE instance_id = @id", new { id = instanceIdOrReservation }, cancellationToken: cancellationToken));
    }

    /// <summary>The current locks (vm id, instance id, started by), for the API and tests.</summary>
    public async Task<IReadOnlyList<(string VmId, string InstanceId, string StartedBy)>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var held = await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, cancellationToken: cancellationToken));
        return [.. held.Select(h => (h.VmId, h.InstanceId, h.StartedBy))];
    }

    private async Task RemoveStaleAsync(Func<string, CancellationToken, Task<bool?>> isActiveAsync, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var held = (await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, cancellationToken: cancellationToken))).AsList();
        foreach (var row in held)
        {
            var old = time.GetUtcNow() - row.AcquiredAt > ReservationLifetime;
            var stale = row.InstanceId.StartsWith(ReservationPrefix, StringComparison.Ordinal)
                ? old
                : await isActiveAsync(row.InstanceId, cancellationToken) switch { null => old, var active => !active.Value };
            if (stale)
            {
                // Conditional on the same holder: never delete a lock someone re-took in the meantime.
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM host_vm_locks WHERE vm_id = @VmId AND instance_id = @InstanceId", new { row.VmId, row.InstanceId },
                    cancellationToken: cancellationToken));
            }
        }
    }
}
