using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Server;

/// <summary>The import/publish check that a definition's start trigger (<c>Elsa.Cron</c>, <c>Elsa.Timer</c>,
/// <c>Elsa.StartAt</c>) can be scheduled. An interface so that <see cref="DefinitionCatalog"/> here does not depend on
/// Scheduling, which implements it (<c>DefinitionTriggers</c>) and depends on this folder.</summary>
public interface IDefinitionTriggerCheck
{
    /// <summary>Why <paramref name="json"/>'s trigger cannot be scheduled, as a validation problem, or null.</summary>
    ValidationProblem? Check(string json);
}
