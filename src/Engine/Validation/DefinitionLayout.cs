using Elsa.Migration.Engine.Definitions;

namespace Elsa.Migration.Engine.Validation;

/// <summary>
/// Where the parts of a definition sit in the JSON text it was read from, so problems name a JSON path (and a line
/// and column). Without a layout, paths are computed from list positions and carry no line numbers.
/// </summary>
public sealed class DefinitionLayout
{
    /// <summary>The path of the definition object: empty for a bare definition, <c>model</c> for a Studio save request.</summary>
    public string DefinitionPath { get; init; } = "";

    /// <summary>Each node's index in <c>root.activities</c> (by reference: ids may be duplicated).</summary>
    public IReadOnlyDictionary<ActivityNode, int> ActivityIndexes { get; init; } =
        new Dictionary<ActivityNode, int>(ReferenceEqualityComparer.Instance);

    /// <summary>Each connection's index in <c>root.connections</c>, parallel to <see cref="Flowchart.Connections"/>.</summary>
    public IReadOnlyList<int>? ConnectionIndexes { get; init; }

    /// <summary>True when the root is an activity (e.g. a Sequence) rather than a flowchart: its node sits at <c>root</c>.</summary>
    public bool RootIsActivity { get; init; }

    /// <summary>Finds the line and column of a JSON path.</summary>
    public Func<string, (int Line, int Column)?>? Locate { get; init; }

    /// <summary>The JSON path of a property of the definition object.</summary>
    public string PathOf(string relative) => DefinitionPath.Length == 0 ? relative : $"{DefinitionPath}.{relative}";

    /// <summary>A problem at <paramref name="path"/>; <paramref name="label"/> is the readable location (defaults to the path).</summary>
    public ValidationProblem Problem(string code, string message, string path, string? label = null)
    {
        var position = Locate?.Invoke(path);
        return new ValidationProblem(code, message, label ?? path, position?.Line, position?.Column);
    }

    /// <summary>A warning at <paramref name="path"/>: accepted, but run differently from Elsa.</summary>
    public ValidationProblem Warning(string code, string message, string path, string? label = null) =>
        Problem(code, message, path, label) with { Severity = ProblemSeverity.Warning };
}
