using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Evacuation;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Server;

/// <summary>Starts an evacuation's VM migrations through <see cref="MigrationAdmission"/>, the rule of every other start:
/// the VM lock (a VM being migrated already is refused <c>vm-busy</c>) and the per-node limit (<c>node-limit</c>).</summary>
public sealed class AdmittedVmMigrationStarter(MigrationAdmission admission, IOptions<MigrationLimitsOptions> limits) : IVmMigrationStarter
{
    public int? MaxConcurrentPerNode => limits.Value.MaxConcurrentPerNode;

    public async Task<VmMigrationStart> StartAsync(WorkflowDefinition procedure, IReadOnlyDictionary<string, JsonNode?> inputs, string vmId,
        string startedBy, CancellationToken cancellationToken) =>
        await admission.StartAsync(procedure, inputs, startedBy, new StartWorkflowOptions(CorrelationId: vmId), cancellationToken) switch
        {
            StartMigrationResult.Started started => new VmMigrationStart.Started(started.InstanceId),
            StartMigrationResult.Refused refused => new VmMigrationStart.Refused(refused.Code, refused.Reason),
            var other => throw new InvalidOperationException($"Unknown admission result {other}."),
        };

    public Task ReleaseAsync(string instanceId, CancellationToken cancellationToken) => admission.ReleaseAsync(instanceId, cancellationToken);
}
