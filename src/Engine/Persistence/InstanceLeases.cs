namespace Elsa.Migration.Engine.Persistence;

/// <summary>A process that executes instances: <c>HOST-PID-SUFFIX</c>, so two processes never share an identity even
/// when a pid is reused.</summary>
public sealed record RuntimeHostIdentity(string Id, string HostName, long Pid)
{
    /// <summary>This process, with a random suffix.</summary>
    public static RuntimeHostIdentity ForThisProcess()
    {
        var hostName = Environment.MachineName;
        var pid = (long)Environment.ProcessId;
        return new RuntimeHostIdentity($"{hostName}-{pid}-{Guid.NewGuid().ToString("N")[..8]}", hostName, pid);
    }
}

/// <summary>One row of <c>runtime_hosts</c>: a process that executes instances, its last renewal and the Running
/// instances it holds.</summary>
public sealed record RuntimeHostRow(string Id, string HostName, long Pid, DateTimeOffset StartedAt, DateTimeOffset RenewedAt, long Instances);

/// <summary>
/// What a write of an instance claims: <see cref="Holder"/> holds the instance until <see cref="ExpiresAt"/>. With
/// <see cref="Takes"/> (the first write after loading it) the write is refused while another holder's lease is valid at
/// <see cref="Now"/>; without it (a running instance's next write) the holder must still hold it, so a process that
/// was taken over (it stalled past its lease) can never write again, even after the taker let the instance go.
/// <see cref="LastSeen"/> (with <see cref="Takes"/>): the instance's <c>updated_at</c> as this process last read or wrote
/// it; the take is refused when another process committed since. A free lease alone is not enough: two hosts that both
/// loaded a suspended instance (both resuming its due timer) would otherwise both run it, the second from a stale state
/// once the first had finished and let the lease go.
/// </summary>
public sealed record LeaseClaim(string Holder, DateTimeOffset Now, DateTimeOffset ExpiresAt, bool Takes, DateTimeOffset? LastSeen = null);

/// <summary>Who holds an instance, as stored: the holder's id and expiry on the instance row, its host name, pid and
/// last renewal from <c>runtime_hosts</c> (null when no one holds it, or the holder's row is gone).</summary>
public sealed record InstanceLease(string? Holder, DateTimeOffset? ExpiresAt, string? HostName, long? Pid, DateTimeOffset? RenewedAt);

/// <summary>Refused: another live process holds the instance (its lease has not expired), or took it from this one.</summary>
public sealed class InstanceHeldException(string instanceId, string heldBy)
    : InvalidOperationException($"Workflow instance '{instanceId}' is {heldBy}: this process leaves it alone.")
{
    /// <summary>"held by HOST pid N, lease renewed 1.2 s ago".</summary>
    public string HeldBy { get; } = heldBy;
}

/// <summary>The lease rows: each executing process registers in <c>runtime_hosts</c> and renews the leases of the
/// instances it holds; claims themselves are part of the instance writes (<see cref="IWorkflowInstanceStore"/>).</summary>
public interface IInstanceLeaseStore
{
    /// <summary>Adds (or refreshes) this process's row.</summary>
    Task RegisterAsync(RuntimeHostIdentity host, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Renews the process's row and every instance it holds until <paramref name="expiresAt"/>; returns how many instances.</summary>
    Task<int> RenewAsync(string holder, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Releases every instance the process holds and removes its row (a clean stop).</summary>
    Task ReleaseAsync(string holder, CancellationToken cancellationToken);

    /// <summary>The instance's lease, or null when the instance is unknown.</summary>
    Task<InstanceLease?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Every registered process (<c>runtime_hosts</c>) with how many Running instances it holds, oldest first.
    /// Rows of processes that died are kept (a clean stop removes its row): their renewal is old.</summary>
    Task<IReadOnlyList<RuntimeHostRow>> ListHostsAsync(CancellationToken cancellationToken);

    /// <summary>The leases of every Running instance <paramref name="me"/> does not hold (what a takeover poll looks at).</summary>
    Task<IReadOnlyList<(string InstanceId, InstanceLease Lease)>> ListRunningNotHeldByAsync(string me, CancellationToken cancellationToken);
}

/// <summary>The lease rules, as pure functions of a stored <see cref="InstanceLease"/> and the time (the SQL condition
/// <c>SqlInstanceLeaseStore.Claimable</c> says the same).</summary>
public static class LeaseRules
{
    /// <summary>True when a process other than <paramref name="me"/> holds the instance and its lease has not expired at <paramref name="now"/>.</summary>
    public static bool IsHeldByOther(InstanceLease lease, string me, DateTimeOffset now) =>
        lease.Holder is not null && lease.Holder != me && lease.ExpiresAt is { } expires && expires >= now;

    /// <summary>True while a process's row was renewed within <paramref name="leaseDuration"/> of <paramref name="now"/>
    /// (the leases it renews with the row have not expired); <c>hosts</c> shows the others as expired.</summary>
    public static bool HostIsLive(RuntimeHostRow host, DateTimeOffset now, TimeSpan leaseDuration) => now - host.RenewedAt <= leaseDuration;

    /// <summary>The process that runs the instance, "HOST pid N" (its id when its <c>runtime_hosts</c> row is gone), while its
    /// lease is valid at <paramref name="now"/>; null when no one holds it or the lease expired (no live process runs it).</summary>
    public static string? RunningOn(InstanceLease lease, DateTimeOffset now)
    {
        if (lease.Holder is null || !(lease.ExpiresAt >= now))
            return null;
        return lease.HostName is null ? lease.Holder : $"{lease.HostName} pid {lease.Pid}";
    }

    /// <summary>"held by HOST pid N, lease renewed 1.2 s ago", for an operator.</summary>
    public static string DescribeHolder(InstanceLease lease, DateTimeOffset now)
    {
        if (lease.HostName is null)
            return $"held by {lease.Holder}, lease expires in {Seconds(lease.ExpiresAt - now)} s";
        return $"held by {lease.HostName} pid {lease.Pid}, lease renewed {Seconds(now - lease.RenewedAt)} s ago";
    }

    /// <summary>Why <paramref name="me"/> may take the instance over (journaled with the takeover); null when it holds it
    /// already. <paramref name="holderGone"/>: the holder ran on this machine and its process no longer exists.</summary>
    public static string? TakeoverReason(InstanceLease lease, string me, DateTimeOffset now, bool holderGone = false)
    {
        if (lease.Holder == me)
            return null;
        if (lease.Holder is null)
            return "it had no holder (its process stopped cleanly, or ran before leases existed)";
        var holder = lease.HostName is null ? lease.Holder : $"{lease.HostName} pid {lease.Pid} ({lease.Holder})";
        if (holderGone && !(lease.ExpiresAt < now))
            return $"{holder} no longer runs on this machine (its lease would have expired in {Seconds(lease.ExpiresAt - now)} s)";
        return $"the lease of {holder} expired {Seconds(now - lease.ExpiresAt)} s ago";
    }

    private static string Seconds(TimeSpan? span) =>
        span is { } s ? Math.Max(0, s.TotalSeconds).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "?";
}
