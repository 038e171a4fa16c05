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
/// Acquisition is one write transaction (SQLite <c>BEGIN IMMEDIATE</c>, PostgreSQL the write lock): check then insert, with no other writer in between.
/// </summary>
public sealed class VmLockStore(HostDatabase database, TimeProvider time)
{
    private const string ReservationPrefix = "reservation:";
    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(2);

    /// <summary>A row of <c>host_vm_locks</c>; <see cref="SelectLocks"/> lists the columns in this order.</summary>
    private sealed record HeldLock(string VmId, string InstanceId, string Nodes, string StartedBy, DateTimeOffset AcquiredAt);

    private const string SelectLocks = "SELECT vm_id, instance_id, nodes, started_by, acquired_at FROM host_vm_locks";

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
        await using var tx = await database.BeginWriteAsync(connection, cancellationToken);
        var rows = await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, transaction: tx, cancellationToken: cancellationToken));
        if (Conflict(rows, vmId, nodes, maxPerNode) is { } conflict)
            return conflict;
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

    /// <summary>
    /// What <see cref="TryAcquireAsync"/> would decide now, reading only (Preflight's admission check): stale rows are
    /// skipped instead of removed, and the rows of <paramref name="ownInstanceId"/> (the asking migration) do not count.
    /// Null when it would be acquired.
    /// </summary>
    public async Task<VmLockResult?> CheckAsync(
        string vmId, IReadOnlyCollection<string> nodes, int maxPerNode, string? ownInstanceId,
        Func<string, CancellationToken, Task<bool?>> isActiveAsync, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var live = new List<HeldLock>();
        foreach (var row in await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, cancellationToken: cancellationToken)))
            if (row.InstanceId != ownInstanceId && !await IsStaleAsync(row, isActiveAsync, cancellationToken))
                live.Add(row);
        return Conflict(live, vmId, nodes, maxPerNode);
    }

    /// <summary>The rule, one place: the VM is held by a row, or a node already has <paramref name="maxPerNode"/> rows.</summary>
    private static VmLockResult? Conflict(IEnumerable<HeldLock> rows, string? vmId, IReadOnlyCollection<string> nodes, int maxPerNode)
    {
        var held = rows.ToList();
        if (vmId is not null && held.FirstOrDefault(r => r.VmId == vmId) is { } holder)
            return new VmLockResult.VmBusy(vmId, holder.InstanceId, holder.StartedBy);
        foreach (var node in nodes)
            if (held.Count(r => r.Nodes.Contains("|" + node + "|", StringComparison.Ordinal)) >= maxPerNode)
                return new VmLockResult.NodeFull(node, maxPerNode);
        return null;
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
        var rows = await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.VmId, r.InstanceId, r.StartedBy))];
    }

    private async Task RemoveStaleAsync(Func<string, CancellationToken, Task<bool?>> isActiveAsync, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<HeldLock>(new CommandDefinition(SelectLocks, cancellationToken: cancellationToken))).ToList();
        foreach (var row in rows)
        {
            if (await IsStaleAsync(row, isActiveAsync, cancellationToken))
            {
                // Conditional on the same holder: never delete a lock someone re-took in the meantime.
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM host_vm_locks WHERE vm_id = @vm_id AND instance_id = @instance_id", new { vm_id = row.VmId, instance_id = row.InstanceId },
                    cancellationToken: cancellationToken));
            }
        }
    }

    /// <summary>A row whose instance has ended, or a reservation (or a row of an instance not created yet) older than its lifetime.</summary>
    private async Task<bool> IsStaleAsync(HeldLock row, Func<string, CancellationToken, Task<bool?>> isActiveAsync, CancellationToken cancellationToken)
    {
        var old = time.GetUtcNow() - row.AcquiredAt > ReservationLifetime;
        return row.InstanceId.StartsWith(ReservationPrefix, StringComparison.Ordinal)
            ? old
            : await isActiveAsync(row.InstanceId, cancellationToken) switch { null => old, var active => !active.Value };
    }
}
