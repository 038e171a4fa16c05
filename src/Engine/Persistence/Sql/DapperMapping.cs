using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>
/// Dapper's process-wide settings for every store (the engine's and the host's): snake_case columns map to records and
/// properties, timestamps and JSON columns convert through <see cref="DbTime"/> and <see cref="DbJson"/>. Enums are read
/// from their names by Dapper itself; Dapper ignores handlers for enum parameters, so stores pass <c>status.ToString()</c>.
/// Applied once, by <see cref="StoreDatabase"/>'s static constructor: every connection comes from there.
/// </summary>
internal static class DapperMapping
{
    public static void Register()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.TypeMapProvider = type => new RecordTypeMap(type);
        // Dapper consults its built-in map before handlers: without removing it, parameters would keep the provider's format.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new DbTime());
        SqlMapper.AddTypeHandler(new DbJson.NodeHandler());
        SqlMapper.AddTypeHandler(new DbJson.ObjectHandler());
    }
}
