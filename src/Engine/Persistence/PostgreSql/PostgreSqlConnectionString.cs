using System.Data.Common;
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

    /// <summary>Parses and checks a connection string: key=value pairs, known keywords, usable values, a Host; throws
    /// <see cref="ArgumentException"/> naming the keyword that is wrong (Npgsql quotes a value it cannot convert, e.g. a
    /// port; a password is text and never rejected, so it is never repeated).</summary>
    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        DbConnectionStringBuilder pairs;
        try
        {
            pairs = new DbConnectionStringBuilder { ConnectionString = value };
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"The database setting has '=' but is not a connection string of key=value pairs separated by ';'. Write it as {Example}; " +
                "for a SQLite file whose name contains '=', put a folder in front (./name=1.db).");
        }
        var builder = new NpgsqlConnectionStringBuilder();
        foreach (string key in pairs.Keys)
        {
            try
            {
                builder[key] = pairs[key];
            }
            catch (ArgumentException e)
            {
                var problem = e.InnerException is KeyNotFoundException
                    ? "is not a PostgreSQL connection string keyword (Npgsql knows e.g. Host, Port, Database, Username, Password, SSL Mode)"
                    : $"has a value Npgsql cannot use ({e.InnerException?.Message ?? e.Message})";
                throw new ArgumentException(
                    $"'{key}' in the PostgreSQL connection string {problem}. Write it as {Example}; for a SQLite file whose name " +
                    "contains '=', put a folder in front (./name=1.db).", e);
            }
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new ArgumentException(
                $"The PostgreSQL connection string names no Host: write it as {Example} (Host may also be a Unix socket folder such as /run/postgresql).");
        return builder;
    }
}
