using Elsa.Migration.Host.Scheduling;

namespace Elsa.Migration.Host.Tests.Scheduling;

/// <summary>Quartz 4 refuses a year beyond its range as a format error; a cron naming only such years is a schedule
/// that never fires, not a malformed one (pure logic).</summary>
public sealed class QuartzYearRangeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0 0 0 1 1 ? 2999", true)]
    [InlineData("0 0 0 1 1 ? 2999-3005", true)]
    [InlineData("0 0 0 1 1 ? 2999/5,3100", true)]
    [InlineData("0 0 0 1 1 ? 2030", false)]      // within range: Quartz schedules it
    [InlineData("0 0 0 1 1 ? 2030,2999", false)] // partly within range: malformed for Quartz, not "never fires"
    [InlineData("0 0 0 1 1 ? 2020", false)]      // past: Quartz parses it and finds no fire time
    [InlineData("0 0 0 1 1 ? *", false)]
    [InlineData("0 0 0 1 1 ?", false)]
    [InlineData("0 0 0 32 1 ? 2999", false)]     // the other fields are malformed
    [InlineData("0 0 0 1 1 ? abc", false)]
    public void NamesOnlyYearsBeyondQuartz_ShouldHoldOnlyForWellFormedCronsOfUnreachableYears(string cron, bool expected) =>
        Assert.Equal(expected, ScheduleTriggers.NamesOnlyYearsBeyondQuartz(cron, Now));

    [Fact]
    public void WhyNeverFires_ForAYearBeyondQuartz_ShouldSayItNeverFires()
    {
        var schedule = new Schedule("s", "d", new System.Text.Json.Nodes.JsonObject(), ScheduleKind.Cron, null, "0 0 0 1 1 ? 2999", null, MisfirePolicy.Skip, TimeSpan.Zero, Now, null, false);

        Assert.Contains("never fire", ScheduleTriggers.WhyNeverFires(schedule, Now));
    }
}
