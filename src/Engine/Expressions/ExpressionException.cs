namespace Elsa.Migration.Engine.Expressions;

/// <summary>An expression could not be evaluated or its result could not be converted to the input's type.</summary>
public sealed class ExpressionException : Exception
{
    public ExpressionException(string message, string expressionType, JavaScriptLimit? limit = null, Exception? inner = null)
        : base(message, inner)
    {
        ExpressionType = expressionType;
        Limit = limit;
    }

    /// <summary>The expression type, e.g. <c>JavaScript</c>.</summary>
    public string ExpressionType { get; }

    /// <summary>The sandbox limit a script exceeded, when that is why it failed.</summary>
    public JavaScriptLimit? Limit { get; }
}

/// <summary>The limits of the JavaScript sandbox.</summary>
public enum JavaScriptLimit
{
    Timeout,
    Memory,
    Statements,
    Recursion,
}
