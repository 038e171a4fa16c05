namespace Elsa.Migration.Engine.Validation;

/// <summary>One problem found in a workflow definition, with where it is.</summary>
/// <param name="Code">A stable code, e.g. <c>json-syntax</c>, <c>unknown-activity-type</c>, <c>dangling-connection</c>.</param>
/// <param name="Message">What is wrong and what to do.</param>
/// <param name="Location">Where: a JSON path or an activity id (e.g. <c>root.activities[3] (id a4)</c>).</param>
/// <param name="Line">1-based line in the JSON text, when known.</param>
/// <param name="Column">1-based column in the JSON text, when known.</param>
public sealed record ValidationProblem(string Code, string Message, string Location, int? Line = null, int? Column = null)
{
    /// <summary>Error (the definition is refused) or Warning (accepted, but runs differently from Elsa).</summary>
    public ProblemSeverity Severity { get; init; } = ProblemSeverity.Error;

    public override string ToString() =>
        (Severity == ProblemSeverity.Warning ? "warning: " : "") +
        (Line is null ? $"{Location}: {Message} [{Code}]" : $"{Location} (line {Line}, column {Column}): {Message} [{Code}]");
}

/// <summary>How serious a <see cref="ValidationProblem"/> is.</summary>
public enum ProblemSeverity
{
    Error,
    Warning,
}

/// <summary>Thrown when a definition is not valid; carries every problem found, not just the first.</summary>
public sealed class WorkflowValidationException(IReadOnlyList<ValidationProblem> problems)
    : Exception("The workflow definition is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p)))
{
    public IReadOnlyList<ValidationProblem> Problems { get; } = problems;
}
