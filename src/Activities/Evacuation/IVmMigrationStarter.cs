using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Runtime;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>What became of a request to start one VM's migration.</summary>
public abstract record VmMigrationStart
{
    private VmMigrationStart() { }

    /// <summary>The migration runs as instance <see cref="InstanceId"/>.</summary>
    public sealed record Started(string InstanceId) : VmMigrationStart;

    /// <summary>Nothing was started; <see cref="Code"/> is the host's refusal code (<see cref="NodeLimit"/>, <c>vm-busy</c>, <c>invalid-inputs</c>, ...).</summary>
    public sealed record Refused(string Code, string Reason) : VmMigrationStart;

    /// <summary>The host's refusal code for a node already running its limit of migrations (a slot frees when one ends).</summary>
    public const string NodeLimit = "node-limit";
}

/// <summary>
/// How <see cref="MigrateVm"/> starts a VM's migration as an instance of its own, and the limit an evacuation stays
/// under. The host implements it over its admission (the VM lock and the per-node limit, the rule of every other
/// start); without a host (tests on the lab) <see cref="RuntimeVmMigrationStarter"/> starts it directly.
/// </summary>
public interface IVmMigrationStarter
{
    /// <summary>At most this many migrations at once on one node; null: no limit is enforced.</summary>
    int? MaxConcurrentPerNode { get; }

    /// <summary>Starts <paramref name="procedure"/> with <paramref name="inputs"/> for VM <paramref name="vmId"/> (also its
    /// correlation id); <paramref name="startedBy"/> is who asks, for the lock table and logs (e.g. <c>evacuation:INSTANCE</c>).</summary>
    Task<VmMigrationStart> StartAsync(WorkflowDefinition procedure, IReadOnlyDictionary<string, JsonNode?> inputs, string vmId, string startedBy,
        CancellationToken cancellationToken);

    /// <summary>Releases what an ended migration held (its VM lock); safe to call twice.</summary>
    Task ReleaseAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>Starts the migration on the runtime directly: no VM lock, no node limit (a process without the host's tables).</summary>
public sealed class RuntimeVmMigrationStarter(IWorkflowRuntime runtime) : IVmMigrationStarter
{
    public int? MaxConcurrentPerNode => null;

    public async Task<VmMigrationStart> StartAsync(WorkflowDefinition procedure, IReadOnlyDictionary<string, JsonNode?> inputs, string vmId,
        string startedBy, CancellationToken cancellationToken)
    {
        try
        {
            return new VmMigrationStart.Started(await runtime.StartAsync(procedure, inputs, new StartWorkflowOptions(CorrelationId: vmId), cancellationToken));
        }
        catch (ArgumentException e)
        {
            return new VmMigrationStart.Refused("invalid-inputs", e.Message);
        }
    }

    public Task ReleaseAsync(string instanceId, CancellationToken cancellationToken) => Task.CompletedTask;
}
