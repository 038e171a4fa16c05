using System.Reflection;
using Dapper;

namespace Elsa.Migration.Engine.Persistence.Sql;

/// <summary>
/// Dapper's type map, plus positional records built from snake_case columns: <c>definition_id</c> fills the constructor
/// parameter <c>DefinitionId</c>. Dapper's <see cref="DefaultTypeMap.MatchNamesWithUnderscores"/> reaches properties only
/// (DapperLib/Dapper#818), and its constructor match wants the column's exact type, which SQLite's INTEGER (long) never is
/// for an int or bool parameter; the values themselves are converted by Dapper as for properties.
/// The columns must be selected in the constructor's order.
/// </summary>
internal sealed class RecordTypeMap(Type type) : SqlMapper.ITypeMap
{
    private readonly DefaultTypeMap _default = new(type);

    public ConstructorInfo? FindConstructor(string[] names, Type[] types) =>
        _default.FindConstructor(names, types)
        ?? type.GetConstructors().FirstOrDefault(c => c.GetParameters().Select(p => p.Name).SequenceEqual(names.Select(Plain), StringComparer.OrdinalIgnoreCase));

    public ConstructorInfo? FindExplicitConstructor() => _default.FindExplicitConstructor();

    public SqlMapper.IMemberMap? GetConstructorParameter(ConstructorInfo constructor, string columnName) =>
        constructor.GetParameters().FirstOrDefault(p => string.Equals(p.Name, Plain(columnName), StringComparison.OrdinalIgnoreCase)) is { } parameter
            ? new ParameterMap(columnName, parameter)
            : _default.GetConstructorParameter(constructor, columnName);

    public SqlMapper.IMemberMap? GetMember(string columnName) => _default.GetMember(columnName);

    private static string Plain(string columnName) => columnName.Replace("_", "", StringComparison.Ordinal);

    private sealed class ParameterMap(string columnName, ParameterInfo parameter) : SqlMapper.IMemberMap
    {
        public string ColumnName => columnName;
        public Type MemberType => parameter.ParameterType;
        public PropertyInfo? Property => null;
        public FieldInfo? Field => null;
        public ParameterInfo? Parameter => parameter;
    }
}
