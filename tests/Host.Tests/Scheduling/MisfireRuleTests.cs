using System.Text.Json.Nodes;
using Elsa.Migration.Host.Scheduling;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>The misfire decision and the missed-fire scan (pure logic).</summary>
public sealed class MisfireRuleTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(MisfirePolicy.Skip, 0, 10, true)]          // on time
    [InlineData(MisfirePolicy.Skip, 0, 30, true)]          // within tolerance
    [InlineData(MisfirePolicy.Skip, 0, 31, false)]         // late: skipped
    [InlineData(MisfirePolicy.RunIfLate, 600, 599, true)]  // late, within the window
    [InlineData(MisfirePolicy.RunIfLate, 600, 601, false)] // later than the window
    public void ShouldRun_WhenLate_ShouldFollowThePolicy(MisfirePolicy policy, int windowSeconds, int lateSeconds, bool expected)
    {
        var schedule = Schedule(ScheduleKind.Once, policy, TimeSpan.FromSeconds(windowSeconds));

        Assert.Equal(expected, MisfireRule.ShouldRun(schedule, At, At.AddSeconds(lateSeconds), Tolerance));
    }

    [Fact]
    public void LastMissedFireTime_WhenACronScheduleMissedSeveralFires_ShouldReturnTheLatestAndTheCount()
    {
        var schedule = Schedule(ScheduleKind.Cron, MisfirePolicy.Skip, TimeSpan.Zero, cron: "0 0 * * * ?", lastFire: At);

        var missed = ScheduleRebuilder.LastMissedFireTime(schedule, At.AddHours(3).AddMinutes(20), out var count);

        Assert.Equal(At.AddHours(3), missed);
        Assert.Equal(3, count);
    }

    [Fact]
    public void LastMissedFireTime_WhenAOneShotAlreadyFired_ShouldReturnNothing()
    {
        var schedule = Schedule(ScheduleKind.Once, MisfirePolicy.Skip, TimeSpan.Zero, lastFire: At);

        Assert.Null(ScheduleRebuilder.LastMissedFireTime(schedule, At.AddHours(1), out _));
    }

    private static Schedule Schedule(ScheduleKind kind, MisfirePolicy policy, TimeSpan window, string? cron = null, DateTimeOffset? lastFire = null) =>
        new("sch-test", "flow", new JsonObject(), kind, kind == ScheduleKind.Once ? At : null, cron, null, policy, window, At.AddDays(-1), lastFire, false);
}
