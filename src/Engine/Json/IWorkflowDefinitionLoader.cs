using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Engine.Json;

/// <summary>Reads and writes Elsa 3 workflow-definition JSON (Flowchart root).</summary>
public interface IWorkflowDefinitionLoader
{
    /// <summary>Every problem in the JSON text (syntax, unknown types, dangling connections, ...); empty when valid.</summary>
    IReadOnlyList<ValidationProblem> Validate(string json);

    /// <summary>Every error and warning (<see cref="ProblemSeverity.Warning"/>: accepted, but run differently from Elsa).</summary>
    IReadOnlyList<ValidationProblem> Check(string json) => Validate(json);

    /// <summary>Parses and validates; throws <see cref="WorkflowValidationException"/> listing every problem.</summary>
    WorkflowDefinition Load(string json);

    /// <summary>Parses without semantic validation (a draft Studio auto-saves may be incomplete); throws
    /// <see cref="WorkflowValidationException"/> only when the JSON cannot be read as a definition at all or its id breaks
    /// <see cref="Definitions.DefinitionIds"/>.</summary>
    WorkflowDefinition LoadDraft(string json);

    /// <summary>Writes the definition back as Elsa 3 JSON, preserving properties we do not model.</summary>
    string Export(WorkflowDefinition definition);
}
