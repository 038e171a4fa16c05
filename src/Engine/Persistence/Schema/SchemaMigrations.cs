using System.Text.RegularExpressions;

namespace Elsa.Migration.Engine.Persistence.Schema;

/// <summary>
/// One schema's numbered migrations and the table that records which of them a database has (the engine's tables in
/// <c>schema_version</c>, the host's in <c>host_schema_version</c>: versioned separately, they never step on each other).
/// Never edit a released script: add the next version.
/// </summary>
public sealed partial record SchemaMigrations
{
    /// <summary>Creates the list; versions must be unique and the table name a plain SQL identifier.</summary>
    public SchemaMigrations(string versionTable, IReadOnlyList<SchemaScript> scripts)
    {
        if (!PlainIdentifier().IsMatch(versionTable))
            throw new ArgumentException($"The version table name '{versionTable}' is not a plain SQL identifier (letters, digits, '_').", nameof(versionTable));
        if (scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Schema version {twice.Key} of {versionTable} is defined twice.", nameof(scripts));
        VersionTable = versionTable;
        Scripts = [.. scripts.OrderBy(s => s.Version)];
    }

    /// <summary>The table recording applied versions (it is part of the SQL the migrator runs, hence a plain identifier).</summary>
    public string VersionTable { get; }

    /// <summary>The scripts, oldest first.</summary>
    public IReadOnlyList<SchemaScript> Scripts { get; }

    /// <summary>The newest version (0 without scripts).</summary>
    public int Newest => Scripts.Count == 0 ? 0 : Scripts[^1].Version;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex PlainIdentifier();
}

/// <summary>One numbered schema migration: SQL run in one transaction, recorded with its description.</summary>
public sealed record SchemaScript(int Version, string Description, string Sql);
