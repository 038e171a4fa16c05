using Cronos;

namespace Elsa.Migration.Engine.Activities;

/// <summary>
/// Cron expressions as Elsa reads them (Cronos): five fields (minute hour day month weekday) or six with seconds first.
/// Used by <see cref="Cron"/> and by the host when it turns a definition's cron trigger into a schedule.
/// </summary>
public static class CronSchedule
{
    /// <summary>The next time after <paramref name="from"/> (UTC), or null when the expression never fires again.
    /// Throws <see cref="FormatException"/> saying what is wrong with the expression.</summary>
    public static DateTimeOffset? Next(string expression, DateTimeOffset from)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            var parsed = CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return parsed.GetNextOccurrence(from, TimeZoneInfo.Utc);
        }
        catch (CronFormatException e)
        {
            throw new FormatException($"'{expression}' is not a valid cron expression: {e.Message} Use five fields (minute hour day month weekday, e.g. \"0 2 * * *\") or six with seconds first.", e);
        }
    }

    /// <summary>Why <paramref name="expression"/> cannot be used as a trigger (it does not parse, or never fires), or null when it can.</summary>
    public static string? Problem(string expression, DateTimeOffset now)
    {
        try
        {
            return Next(expression, now) is null
                ? $"The cron expression '{expression}' never fires (no future date matches it, e.g. 30 February). Fix the day or month fields."
                : null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }
}
