using System.Text.Json;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Engine.Definitions;

/// <summary>Turns an <see cref="InputAttribute"/>'s default into an <see cref="InputDefault"/> of the input's type, once
/// per activity type: a default that does not fit the input fails the registry at start-up, not a migration at run time.</summary>
public static class InputDefaults
{
    /// <summary>The default of the input <paramref name="property"/> of <paramref name="activity"/>; null when it declares none.</summary>
    public static InputDefault? Of(Type activity, string property, Type valueType, InputAttribute attribute)
    {
        var underlying = Nullable.GetUnderlyingType(valueType) ?? valueType;
        if (attribute.ZeroOrLessMeansDefault && !InputDefault.IsNumber(underlying))
            throw Invalid(activity, property, $"ZeroOrLessMeansDefault needs a number input, not {ValueTypeNames.Of(valueType)}");
        if (attribute.DefaultValue is null)
            return attribute.ZeroOrLessMeansDefault ? throw Invalid(activity, property, "ZeroOrLessMeansDefault needs a DefaultValue") : null;
        var value = Convert(activity, property, attribute.DefaultValue, valueType);
        if (attribute.ZeroOrLessMeansDefault && InputDefault.IsZeroOrLess(value))
            throw Invalid(activity, property, $"ZeroOrLessMeansDefault needs a positive DefaultValue, not {attribute.DefaultValue}");
        return new InputDefault(value, attribute.ZeroOrLessMeansDefault);
    }

    // Attribute arguments are constants: an int for a long input, an enum name or a "00:05:00" for a TimeSpan, an array for a list.
    private static object Convert(Type activity, string property, object value, Type valueType)
    {
        var underlying = Nullable.GetUnderlyingType(valueType) ?? valueType;
        if (underlying.IsInstanceOfType(value))
            return value;
        try
        {
            var node = value is Enum ? JsonSerializer.SerializeToNode(value.ToString()) : JsonSerializer.SerializeToNode(value, value.GetType());
            return ValueConverter.Convert(node, valueType) ?? throw new FormatException("it is empty.");
        }
        catch (FormatException e)
        {
            throw Invalid(activity, property, $"DefaultValue {value} ({value.GetType().Name}) does not convert to {ValueTypeNames.Of(valueType)}: {e.Message}");
        }
    }

    private static ArgumentException Invalid(Type activity, string property, string problem) =>
        new($"Input {activity.FullName}.{property}: {problem}. Fix its [Input] attribute.");
}
