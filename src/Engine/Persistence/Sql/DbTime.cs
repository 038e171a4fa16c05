using System.Data;
using System.Globalization;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>
/// Every <see cref="DateTimeOffset"/> Dapper writes or reads: fixed-width UTC ISO-8601 text, so timestamps compare and
/// sort correctly as strings (<c>resume_at &lt;= @until</c>, <c>ORDER BY created_at</c>).
/// </summary>
internal sealed class DbTime : SqlMapper.TypeHandler<DateTimeOffset>
{
    private const string Written = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    // The host's tables (tokens, schedules, VM locks) were written as "...+00:00" before this handler existed. Both forms
    // share their first 27 characters, so old and new rows still compare and sort by instant.
    private static readonly string[] Readable = [Written, "yyyy-MM-dd'T'HH:mm:ss.fffffffzzz"];

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(Written, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string value) =>
        DateTimeOffset.ParseExact(value, Readable, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
    {
        parameter.DbType = DbType.String;
        parameter.Value = Format(value);
    }

    public override DateTimeOffset Parse(object value) => Parse((string)value);
}
