namespace Elsa.Migration.Engine.Model;

/// <summary>An activity input: an expression that the execution context evaluates (<c>context.Get(input)</c>).</summary>
public abstract class Input
{
    protected Input(Expression expression) => Expression = expression;

    public Expression Expression { get; }

    /// <summary>The CLR type the expression's value is converted to.</summary>
    public abstract Type ValueType { get; }
}

/// <summary>A typed activity input.</summary>
public sealed class Input<T> : Input
{
    public Input(Expression expression) : base(expression) { }

    /// <summary>A literal input (used by code that builds activities and by defaults).</summary>
    public Input(T literal) : base(Expression.Literal(literal)) { }

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
