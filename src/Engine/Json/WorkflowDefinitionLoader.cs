using System.Text.Json;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Expressions;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Engine.Json;

/// <summary>
/// Reads, validates and writes Elsa 3 workflow-definition JSON (Flowchart root), as Studio saves and exports it.
/// See <see cref="DefinitionReader"/> for the accepted forms and <see cref="DefinitionWriter"/> for the round trip.
/// </summary>
public sealed class WorkflowDefinitionLoader(IActivityRegistry registry, IExpressionEvaluator evaluator, Runtime.WorkflowActivityResolver? workflows = null)
    : IWorkflowDefinitionLoader
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly WorkflowValidator _validator = new(registry, evaluator, workflows is null ? null : workflows.Find);

    /// <inheritdoc />
    public IReadOnlyList<ValidationProblem> Validate(string json) => [.. Read(json).Problems.Where(p => p.Severity == ProblemSeverity.Error)];

    /// <inheritdoc />
    public IReadOnlyList<ValidationProblem> Check(string json) => Read(json).Problems;

    /// <inheritdoc />
    public WorkflowDefinition Load(string json)
    {
        var (definition, problems) = Read(json);
        var errors = problems.Where(p => p.Severity == ProblemSeverity.Error).ToList();
        return errors.Count == 0 ? definition! : throw new WorkflowValidationException(errors);
    }

    /// <inheritdoc />
    public WorkflowDefinition LoadDraft(string json)
    {
        var result = DefinitionReader.Read(json);
        // A draft may be incomplete, but its id goes into URLs and headers: the id rule holds for drafts too.
        if (result.Definition is null || result.Problems.Any(p => p.Code == ProblemCodes.InvalidDefinitionId))
            throw new WorkflowValidationException(result.Problems);
        return result.Definition;
    }

    /// <inheritdoc />
    public string Export(WorkflowDefinition definition) =>
        DefinitionWriter.Write(definition, registry).ToJsonString(Indented);

    private (WorkflowDefinition? Definition, IReadOnlyList<ValidationProblem> Problems) Read(string json)
    {
        var result = DefinitionReader.Read(json);
        if (result.Definition is null)
            return (null, result.Problems);
        return (result.Definition, [.. result.Problems, .. _validator.Validate(result.Definition, result.Layout)]);
    }
}
