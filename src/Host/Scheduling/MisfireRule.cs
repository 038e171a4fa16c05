namespace Elsa.Migration.Host.Scheduling;

/// <summary>Decides whether a fire time that comes up at <c>now</c> still starts its migration.</summary>
public static class MisfireRule
{
    /// <summary>
    /// True when the fire is on time (at most <paramref name="onTimeTolerance"/> late: scheduler jitter, a slow start) or
    /// the schedule allows running late and the lateness is within its window.
    /// </summary>
    public static bool ShouldRun(Schedule schedule, DateTimeOffset scheduledFor, DateTimeOffset now, TimeSpan onTimeTolerance)
    {
        var lateness = now - scheduledFor;
        if (lateness <= onTimeTolerance)
            return true;
        return schedule.Misfire == MisfirePolicy.RunIfLate && lateness <= schedule.MisfireWindow;
    }
}
