using System.ComponentModel.DataAnnotations;

namespace Elsa.Migration.Host.Scheduling;

/// <summary>Scheduler settings.</summary>
public sealed class SchedulingOptions
{
    public const string Section = "Scheduling";

    /// <summary>How late a fire may be and still count as on time (jitter, a busy thread pool, a slow start).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan OnTimeTolerance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often schedules are reconciled with the database (picks up schedules the CLI added or deleted).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Quartz worker threads: how many schedules can fire at the same moment.</summary>
    [Range(1, 64)]
    public int MaxConcurrentFires { get; set; } = 4;
}
