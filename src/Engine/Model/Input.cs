namespace Elsa.Migration.Engine.Model;

/// <summary>An activity input: an expression that the execution context evaluates (<c>context.Get(input)</c>).</summary>
public abstract class Input
{
    protected Input(Expression expression, InputDefault? @default)
    {
        Expression = expression;
        Default = @default;
    }

    public Expression Expression { get; }

    /// <summary>What the input takes when its expression yields nothing (set by the registry from <see cref="InputAttribute.DefaultValue"/>).</summary>
    public InputDefault? Default { get; }

    /// <summary>The CLR type the expression's value is converted to.</summary>
    public abstract Type ValueType { get; }

    /// <summary>The input's value given what its expression evaluated to: that value, or the default when there is one and the value does not count.</summary>
    public object? ValueOrDefault(object? evaluated) => Default is { } fallback && fallback.Replaces(evaluated) ? fallback.Fresh() : evaluated;
}

/// <summary>A typed activity input.</summary>
public sealed class Input<T> : Input
{
    public Input(Expression expression) : base(expression, null) { }

    /// <summary>An input with its default (the registry creates every activity's inputs this way).</summary>
    public Input(Expression expression, InputDefault? @default) : base(expression, @default) { }

    /// <summary>A literal input (used by code that builds activities).</summary>
    public Input(T literal) : base(Expression.Literal(literal), null) { }

    public override Type ValueType => typeof(T);
}

/// <summary>An activity output; <see cref="VariableId"/> names the workflow variable it is written to (Elsa's memoryReference).</summary>
public abstract class Output
{
    public string? VariableId { get; init; }
    public abstract Type ValueType { get; }
}

/// <summary>A typed activity output.</summary>
public sealed class Output<T> : Output
{
    public override Type ValueType => typeof(T);
}
