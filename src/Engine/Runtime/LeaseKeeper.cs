using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// This process's leases: its identity (<see cref="RuntimeHostIdentity"/>, registered in <c>runtime_hosts</c> when it
/// first executes an instance), the claim every instance write carries, and the loop that renews the process's row and
/// every lease it holds each <see cref="MigrationEngineOptions.LeaseRenewInterval"/>. A clean stop releases them all.
/// Processes that never execute (e.g. <c>instances</c>) never register.
/// </summary>
internal sealed class LeaseKeeper(IInstanceLeaseStore store, TimeProvider time, MigrationEngineOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _renewing;

    /// <summary>Who this process is.</summary>
    public RuntimeHostIdentity Identity { get; } = RuntimeHostIdentity.ForThisProcess();

    /// <summary>The claim of a write made now: this process holds the instance for one <see cref="MigrationEngineOptions.LeaseDuration"/>;
    /// <paramref name="takes"/>: the instance is not (yet) held by this process (see <see cref="LeaseClaim.Takes"/>);
    /// <paramref name="lastSeen"/>: its <c>updated_at</c> as this process knows it (see <see cref="LeaseClaim.LastSeen"/>).</summary>
    public LeaseClaim Claim(bool takes, DateTimeOffset? lastSeen = null)
    {
        var now = time.GetUtcNow();
        return new LeaseClaim(Identity.Id, now, now + options.LeaseDuration, takes, takes ? lastSeen : null);
    }

    /// <summary>Registers this process and starts renewing (once; before the first instance it executes).</summary>
    public async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _renewing) is not null)
            return;
        await _startGate.WaitAsync(cancellationToken);
        try
        {
            if (_renewing is not null)
                return;
            await store.RegisterAsync(Identity, time.GetUtcNow(), cancellationToken);
            _renewing = RenewLoopAsync(_stopping.Token);
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Renews now (the loop does it every interval; tests and the benchmark call it directly); returns how many instances.</summary>
    public Task<int> RenewAsync(CancellationToken cancellationToken)
    {
        var claim = Claim(takes: false);
        return store.RenewAsync(Identity.Id, claim.Now, claim.ExpiresAt, cancellationToken);
    }

    /// <summary>Stops renewing and releases every lease (a clean stop: the next recovery need not wait for them to expire).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_renewing is null)
            return;
        await _renewing;
        try
        {
            await store.ReleaseAsync(Identity.Id, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not release the leases of {Holder}; they expire after {Duration}", Identity.Id, options.LeaseDuration);
        }
    }

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.LeaseRenewInterval, time, cancellationToken);
                await RenewAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database that is away for a moment: try again next interval; the leases last several intervals.
                logger.LogWarning(ex, "Could not renew the leases of {Holder}", Identity.Id);
            }
        }
    }
}
