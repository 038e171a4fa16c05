namespace Elsa.Migration.Engine.Expressions;

/// <summary>The sandbox of JavaScript expressions. Scripts are short input expressions, so the limits are tight.</summary>
public sealed record JavaScriptOptions
{
    /// <summary>Wall-clock time one evaluation may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Bytes one evaluation may allocate.</summary>
    public long MemoryLimitBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Statements one evaluation may execute.</summary>
    public int MaxStatements { get; init; } = 100_000;

    /// <summary>Call depth.</summary>
    public int MaxRecursionDepth { get; init; } = 64;
}
