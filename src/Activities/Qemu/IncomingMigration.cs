namespace Elsa.Migration.Activities.Qemu;

/// <summary>The target side of a migration: the source reports <c>completed</c> once it has sent everything, while the
/// target may still be loading the state. Whoever needs the target's VM (VerifyDisks, ResumeTarget) waits here.</summary>
public static class IncomingMigration
{
    /// <summary>
    /// The target's run state once it finished loading the incoming migration (normally <c>paused</c>, as it was
    /// started with <c>-S</c>); throws when the load failed or did not end within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<RunState> WaitLoadedAsync(QmpSession target, TimeSpan timeout, CancellationToken ct)
    {
        var status = (await target.Client.QueryStatusAsync(ct)).Status;
        if (status != RunState.Inmigrate) return status;
        // From sequence 0: a MIGRATION completed emitted before this call counts.
        var done = await target.WaitForEventAsync<MigrationEvent>(0,
            e => e.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled, timeout, "MIGRATION completed on the target", ct);
        if (done.Status != MigrationStatus.Completed)
            throw new InvalidOperationException($"The target failed to load the migration ({done.Status}): the source keeps the VM.");
        return (await target.Client.QueryStatusAsync(ct)).Status;
    }
}
