using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Validation;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// Starts migrations for the API, Studio and the scheduler: resolves the definition version, takes the VM lock and a
/// slot on each node in the database, then asks the runtime to start the instance under the id the lock names.
/// </summary>
public sealed class MigrationStarter(
    IWorkflowDefinitionStore definitions,
    IWorkflowDefinitionLoader loader,
    IWorkflowRuntime runtime,
    IWorkflowInstanceStore instances,
    VmLockStore locks,
    IOptions<MigrationLimitsOptions> limits,
    ILogger<MigrationStarter> logger) : IMigrationStarter
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

        var options = limits.Value;
        var vmId = Text(Input(request.Inputs, options.VmInputName));
        string[] nodes = [.. options.NodeInputNames.Select(n => Text(Input(request.Inputs, n))).OfType<string>().Distinct()];
        if (nodes.Length == 0)
            nodes = ["local"];
        var acquired = await locks.TryAcquireAsync(vmId, nodes, request.StartedBy, options.MaxConcurrentPerNode, IsActiveAsync, cancellationToken);
        switch (acquired)
        {
            case VmLockResult.VmBusy busy:
                return new StartMigrationResult.Refused("vm-busy",
                    $"VM {busy.VmId} is being migrated by instance {busy.HolderInstanceId} (started by {busy.HolderStartedBy}); wait for it to end or cancel it.");
            case VmLockResult.NodeFull full:
                return new StartMigrationResult.Refused("node-limit",
                    $"Node {full.Node} already runs {full.Limit} migration(s), the limit (Migrations:MaxConcurrentPerNode); try again when one ends.");
        }
        var reservation = ((VmLockResult.Acquired)acquired).Reservation;
        var instanceId = Guid.NewGuid().ToString("N");
        await locks.BindAsync(reservation, instanceId, cancellationToken);
        try
        {
            await runtime.StartAsync(definition, request.Inputs, new StartWorkflowOptions(instanceId, request.CorrelationId ?? vmId), cancellationToken);
        }
        catch (ArgumentException e)
        {
            await locks.ReleaseAsync(instanceId, CancellationToken.None);
            return new StartMigrationResult.Refused("invalid-inputs", e.Message);
        }
        catch
        {
            await locks.ReleaseAsync(instanceId, CancellationToken.None);
            throw;
        }
        logger.LogInformation("Started instance {InstanceId} of {DefinitionId} v{Version} for {StartedBy} (VM {VmId})",
            instanceId, request.DefinitionId, stored.Version, request.StartedBy, vmId ?? "-");
        return new StartMigrationResult.Started(instanceId);
    }

    private async Task<bool?> IsActiveAsync(string instanceId, CancellationToken cancellationToken) =>
        await instances.GetAsync(instanceId, cancellationToken) is { } instance ? !instance.Status.IsTerminal() : null;

    // Input names are matched case-insensitively here: a JSON client may well send "vmId" for "VmId", and a lock that
    // silently does not apply would be worse than a strict match.
    private static JsonNode? Input(IReadOnlyDictionary<string, JsonNode?> inputs, string name) =>
        inputs.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim(),
        JsonValue value => value.ToJsonString(),
        _ => null,
    };
}
