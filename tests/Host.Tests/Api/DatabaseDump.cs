using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Elsa.Migration.Host.Tests.Api;

/// <summary>Every row of every table of a SQLite file as text, to show that a refused request changed nothing.</summary>
public static class DatabaseDump
{
    public static async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                tables.Add(reader.GetString(0));
        }
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            dump.Append("== ").AppendLine(table);
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            var rows = new List<string>();
            while (await reader.ReadAsync(cancellationToken))
                rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i =>
                    reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            rows.Sort(StringComparer.Ordinal);
            rows.ForEach(r => dump.AppendLine(r));
        }
        return dump.ToString();
    }
}
