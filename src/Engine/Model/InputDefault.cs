using System.Text.Json;

namespace Elsa.Migration.Engine.Model;

/// <summary>
/// An input's default, already of the input's type: it replaces a value that is absent or empty (the expression
/// yielded null: no expression, an empty literal, an unset workflow input), and with <see cref="ZeroOrLessMeansDefault"/>
/// also a number of 0 or less.
/// </summary>
public sealed class InputDefault(object value, bool zeroOrLessMeansDefault)
{
    public object Value { get; } = value;

    /// <summary>See <see cref="InputAttribute.ZeroOrLessMeansDefault"/>.</summary>
    public bool ZeroOrLessMeansDefault { get; } = zeroOrLessMeansDefault;

    /// <summary>True when <paramref name="evaluated"/> gets the default instead.</summary>
    public bool Replaces(object? evaluated) => evaluated is null || (ZeroOrLessMeansDefault && IsZeroOrLess(evaluated));

    /// <summary>The default; a copy when it is mutable (a list), so an activity that changes it cannot change it for the next one.</summary>
    public object Fresh() => Value.GetType().IsValueType || Value is string
        ? Value
        : JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(Value, Value.GetType()), Value.GetType())!;

    /// <summary>True for a number of 0 or less.</summary>
    public static bool IsZeroOrLess(object value) => value switch
    {
        int i => i <= 0,
        long l => l <= 0,
        double d => d <= 0,
        decimal m => m <= 0,
        _ => false,
    };

    /// <summary>True for the number types <see cref="ZeroOrLessMeansDefault"/> applies to.</summary>
    public static bool IsNumber(Type type) => type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(decimal);
}
