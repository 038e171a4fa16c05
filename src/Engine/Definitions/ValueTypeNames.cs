using System.Collections;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>Maps CLR input/output types to Elsa's type names (<c>String</c>, <c>Int32</c>, ...) and Studio's default UI hints.</summary>
public static class ValueTypeNames
{
    private static readonly Dictionary<Type, string> Names = new()
    {
        [typeof(string)] = "String",
        [typeof(int)] = "Int32",
        [typeof(long)] = "Int64",
        [typeof(bool)] = "Boolean",
        [typeof(double)] = "Double",
        [typeof(decimal)] = "Decimal",
        [typeof(TimeSpan)] = "TimeSpan",
        [typeof(DateTimeOffset)] = "DateTimeOffset",
        [typeof(DateTime)] = "DateTime",
        [typeof(Guid)] = "Guid",
        [typeof(object)] = "Object",
    };

    /// <summary>Elsa's name of a type: <c>String</c>, <c>Int32</c>, <c>TimeSpan</c>, the enum's name, <c>String[]</c> for lists, else <c>Object</c>.</summary>
    public static string Of(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (Names.TryGetValue(type, out var name))
            return name;
        if (type.IsEnum)
            return type.Name;
        var element = ElementTypeOf(type);
        return element is null ? "Object" : Of(element) + "[]";
    }

    /// <summary>Studio's default editor for a type: checkbox for Boolean, dropdown for enums, multi-text for lists of strings, json-editor for other structures, else singleline.</summary>
    public static string DefaultUIHint(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(bool))
            return InputUIHints.Checkbox;
        if (type.IsEnum)
            return InputUIHints.Dropdown;
        if (Names.ContainsKey(type))
            return InputUIHints.SingleLine;
        return ElementTypeOf(type) == typeof(string) ? InputUIHints.MultiText : InputUIHints.JsonEditor;
    }

    /// <summary>The element type of an array or generic collection (not of <see cref="string"/>), else null.</summary>
    public static Type? ElementTypeOf(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
            return null;
        if (type.IsArray)
            return type.GetElementType();
        var enumerable = type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
