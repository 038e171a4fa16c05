using System.Globalization;

namespace Elsa.Migration.Engine.Persistence.Sqlite;

/// <summary>Timestamps as fixed-width UTC ISO-8601 text: they compare and sort correctly as strings.</summary>
internal static class DbTime
{
    private const string Format_ = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(Format_, CultureInfo.InvariantCulture);

    public static string? Format(DateTimeOffset? value) => value is null ? null : Format(value.Value);

    public static DateTimeOffset Parse(string value) =>
        new(DateTime.ParseExact(value, Format_, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    public static DateTimeOffset? ParseNullable(string? value) => value is null ? null : Parse(value);
}
