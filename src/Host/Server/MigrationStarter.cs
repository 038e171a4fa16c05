using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Validation;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// Starts stored definitions for the API, Studio and the scheduler: resolves the definition version, then starts it
/// through <see cref="MigrationAdmission"/> (VM lock and per-node limit).
/// </summary>
public sealed class MigrationStarter(IWorkflowDefinitionStore definitions, IWorkflowDefinitionLoader loader, MigrationAdmission admission) : IMigrationStarter
{
    public async Task<StartMigrationResult> StartAsync(StartMigrationRequest request, CancellationToken cancellationToken)
    {
        var stored = request.Version == StartVersion.Published
            ? await definitions.GetPublishedAsync(request.DefinitionId, cancellationToken)
            : await definitions.GetLatestAsync(request.DefinitionId, cancellationToken);
        if (stored is null)
        {
            var exists = await definitions.GetLatestAsync(request.DefinitionId, cancellationToken) is not null;
            return new StartMigrationResult.Refused("definition-not-found", exists
                ? $"Workflow definition '{request.DefinitionId}' has no published version: publish it (Studio, or import it) first."
                : $"No workflow definition '{request.DefinitionId}': import it with './elsa-migrate import FILE' first.");
        }
        Engine.Definitions.WorkflowDefinition definition;
        try
        {
            definition = loader.Load(stored.Json);
        }
        catch (WorkflowValidationException e)
        {
            return new StartMigrationResult.Refused("invalid-definition",
                $"Version {stored.Version} of '{request.DefinitionId}' is not valid: " + string.Join("; ", e.Problems.Select(p => p.ToString())));
        }
        return await admission.StartAsync(definition, request.Inputs, request.StartedBy, new StartWorkflowOptions(request.InstanceId, request.CorrelationId), cancellationToken);
    }
}
