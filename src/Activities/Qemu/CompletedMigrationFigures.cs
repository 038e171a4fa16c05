namespace Elsa.Migration.Activities.Qemu;

/// <summary>
/// QEMU's own figures of a finished migration (downtime, total time). QEMU 7.2 announces <c>MIGRATION completed</c>
/// before its migration thread computes them, and <c>query-migrate</c> in between answers 0 ms for both (measured: a
/// switchover that started from the event left ResumeTarget asking within that gap). No event marks the moment, so
/// this asks again for a short while; past it, the figures are reported as unknown, never as 0.
/// </summary>
public static class CompletedMigrationFigures
{
    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    /// <summary><c>query-migrate</c> of a completed migration, once QEMU set its figures (downtime and total time null if it had not within 200 ms).</summary>
    public static async Task<MigrationInfo> ReadAsync(QmpClient source, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var info = await source.QueryMigrateAsync(ct);
            if (info.Status != MigrationStatus.Completed || info.TotalTimeMs is not 0) return info;
            if (DateTime.UtcNow >= deadline) return info with { DowntimeMs = null, TotalTimeMs = null };
            await Task.Delay(Interval, ct);
        }
    }
}
