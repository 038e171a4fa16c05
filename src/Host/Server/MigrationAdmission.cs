using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.Options;

namespace Elsa.Migration.Host.Server;

/// <summary>
/// The VM lock and the per-node limit around the runtime's start. Every path that starts a migration goes through it
/// on the shared database: the API, Studio's Run and the scheduler (through <see cref="MigrationStarter"/>) and the
/// CLI's <c>run</c>. Nothing is created when it refuses.
/// </summary>
public sealed class MigrationAdmission(
    IWorkflowRuntime runtime,
    IWorkflowInstanceStore instances,
    VmLockStore locks,
    SiteInputCheck siteCheck,
    IOptions<MigrationLimitsOptions> limits,
    ILogger<MigrationAdmission> logger) : Activities.Migration.Preflight.IMigrationAdmissionQuery
{
    /// <summary>Takes the VM lock (when the inputs name a VM) and a slot on each node, then starts the instance.</summary>
    /// <param name="startedBy">Who asked, for the lock table and logs: <c>api</c>, <c>studio</c>, <c>schedule:ID</c>, <c>cli</c>.</param>
    /// <param name="options">The instance id to use (a caller that subscribes first) and a correlation id (default: the VM id).</param>
    public async Task<StartMigrationResult> StartAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?> inputs,
        string startedBy, StartWorkflowOptions? options, CancellationToken cancellationToken)
    {
        // Before any lock row is written: a refused start leaves nothing behind.
        var inputProblems = WorkflowInputChecks.Check(definition, inputs);
        if (inputProblems.Count > 0)
            return new StartMigrationResult.Refused("invalid-inputs", string.Join(" ", inputProblems));
        if (await siteCheck.ProblemAsync(definition, inputs, cancellationToken) is { } siteProblem)
            return new StartMigrationResult.Refused("invalid-site", siteProblem);
        if (StartsItsMigrationsItself(definition))
            return await StartUnlockedAsync(definition, inputs, startedBy, options, cancellationToken);
        var rules = limits.Value;
        var vmId = Text(Input(inputs, rules.VmInputName));
        string[] nodes = [.. rules.NodeInputNames.Select(n => Text(Input(inputs, n))).OfType<string>().Distinct()];
        if (nodes.Length == 0)
            nodes = ["local"];
        var acquired = await locks.TryAcquireAsync(vmId, nodes, startedBy, rules.MaxConcurrentPerNode, IsActiveAsync, cancellationToken);
        if (Refusal(acquired) is { } refused)
            return refused;
        var reservation = ((VmLockResult.Acquired)acquired).Reservation;
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        await locks.BindAsync(reservation, instanceId, cancellationToken);
        try
        {
            await runtime.StartAsync(definition, inputs, new StartWorkflowOptions(instanceId, options?.CorrelationId ?? vmId), cancellationToken);
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
            instanceId, definition.DefinitionId, definition.Version, startedBy, vmId ?? "-");
        return new StartMigrationResult.Started(instanceId);
    }

    /// <summary>
    /// A procedure that moves VMs through <c>Evacuation.MigrateVm</c> steps (an evacuation) is not a migration itself:
    /// each of its VMs' migrations is admitted here when that step starts it (VM lock, node slots). Holding a slot for the
    /// evacuation too would take one of the slots its own migrations need on the target node.
    /// </summary>
    private static bool StartsItsMigrationsItself(WorkflowDefinition definition) =>
        WorkflowActivityResolver.AllNodes(definition).Any(n => n.Type == Activities.Evacuation.MigrateVm.TypeName);

    private async Task<StartMigrationResult> StartUnlockedAsync(WorkflowDefinition definition, IReadOnlyDictionary<string, JsonNode?> inputs,
        string startedBy, StartWorkflowOptions? options, CancellationToken cancellationToken)
    {
        string instanceId;
        try
        {
            instanceId = await runtime.StartAsync(definition, inputs, options, cancellationToken);
        }
        catch (ArgumentException e)
        {
            return new StartMigrationResult.Refused("invalid-inputs", e.Message);
        }
        logger.LogInformation("Started instance {InstanceId} of {DefinitionId} v{Version} for {StartedBy} (its VMs' migrations are admitted one by one)",
            instanceId, definition.DefinitionId, definition.Version, startedBy);
        return new StartMigrationResult.Started(instanceId);
    }

    /// <summary>Preflight's read-only admission check: what <see cref="StartAsync"/> would answer for this VM and these nodes now
    /// (the same rule, <see cref="VmLockStore.CheckAsync"/>; the asking instance's own lock does not count).</summary>
    public async Task<string?> RefusalAsync(string vmId, string sourceNode, string targetNode, string? instanceId, CancellationToken cancellationToken)
    {
        var conflict = await locks.CheckAsync(vmId, [.. new[] { sourceNode, targetNode }.Distinct()], limits.Value.MaxConcurrentPerNode, instanceId,
            IsActiveAsync, cancellationToken);
        return conflict is null ? null : Refusal(conflict) is { } refused ? $"{refused.Code}: {refused.Reason}" : null;
    }

    private static StartMigrationResult.Refused? Refusal(VmLockResult result) => result switch
    {
        VmLockResult.VmBusy busy => new StartMigrationResult.Refused("vm-busy",
            $"VM {busy.VmId} is being migrated by instance {busy.HolderInstanceId} (started by {busy.HolderStartedBy}); wait for it to end or cancel it."),
        VmLockResult.NodeFull full => new StartMigrationResult.Refused("node-limit",
            $"Node {full.Node} already runs {full.Limit} migration(s), the limit (Migrations:MaxConcurrentPerNode); try again when one ends."),
        _ => null,
    };

    /// <summary>Releases what an ended instance held (the server's <see cref="VmLockReleaser"/> does this on every end it
    /// commits; a process that waits for its own instance, like the CLI, calls it itself).</summary>
    public Task ReleaseAsync(string instanceId, CancellationToken cancellationToken) => locks.ReleaseAsync(instanceId, cancellationToken);

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
