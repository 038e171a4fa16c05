using Npgsql;

namespace Elsa.Migration.Engine.Persistence.PostgreSql;

/// <summary>
/// Tells a PostgreSQL connection string from a SQLite path (what <c>--db</c> and <c>Database:ConnectionString</c> take)
/// and checks it, with errors that name the problem and the fix.
/// </summary>
public static class PostgreSqlConnectionString
{
    private const string Example = "Host=db.example;Port=5432;Database=elsa;Username=elsa;Password=...";

    /// <summary>
    /// True when <paramref name="value"/> is meant as a connection string: <c>key=value</c> with no path separator before
    /// the first <c>=</c> (<c>Host=/run/postgresql;...</c> is one, <c>/var/lib/x=1.db</c> and <c>./a=b.db</c> are files).
    /// </summary>
    public static bool IsConnectionString(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
            return false;
        var key = value[..equals];
        return key.IndexOfAny(['/', '\\']) < 0;
    }

    /// <summary>Parses and checks a connection string: known keywords, a Host; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // Npgsql names the keyword or value it rejected; the value itself may hold a password, so it is not repeated.
            throw new ArgumentException(
                $"The database setting looks like a PostgreSQL connection string (it has 'key=value') but is not a valid one: {e.Message}. " +
                $"Write it as {Example}; for a SQLite file whose name contains '=', put a folder in front (./name=1.db).", nameof(value), e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new ArgumentException(
                $"The PostgreSQL connection string names no Host: write it as {Example} (Host may also be a Unix socket folder such as /run/postgresql).",
                nameof(value));
        return builder;
    }
}
