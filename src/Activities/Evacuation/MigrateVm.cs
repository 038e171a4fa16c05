using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Engine.Definitions;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// Migrates one VM with the site's migration procedure (<c>live-migrate</c> by default) as an <b>instance of its
/// own</b>, started through the host's admission like any migration (its VM lock: a VM being migrated already is
/// refused; its node slots: a full node is waited for), and waits for its end. The instance keeps its own ledger,
/// journal, rollback and crash recovery, which a workflow run inline inside the evacuation could not: those are per
/// instance, and three inline migrations would share one ledger. A failed migration is a result, not a fault: the row
/// (<see cref="VmMigrationResult"/>) is journaled (<see cref="EvacuationReport.ResultKey"/>) and set as Result.
/// When the evacuation is cancelled, the VM's migration is cancelled too (it rolls back) and its end is recorded; when
/// the host stops, it is left to the next start's recovery, as every running migration is.
/// </summary>
[Activity("Evacuation", "Evacuation", "Migrates one VM with the site's migration procedure as an instance of its own (its own VM lock, " +
    "ledger and rollback) and reports how it ended; a migration that fails is a result, not a fault.", DisplayName = "Migrate VM")]
public sealed class MigrateVm : CodeActivity<object>
{
    public const string TypeName = "Evacuation.MigrateVm";
    public const string DefaultProcedure = "live-migrate";

    // The inputs a migration procedure takes (the shipped ones do); ProcedureInputs cannot override them.
    private static readonly string[] MoveInputs = ["VmId", "SourceNode", "TargetNode", "Site"];
    private static readonly TimeSpan SlotPoll = TimeSpan.FromSeconds(2);

    [Input(DisplayName = "VM id", Description = "The VM to migrate.", Required = true)]
    public Input<string>? VmId { get; set; }

    [Input(DisplayName = "Source node", Description = "The node it runs on now.", Required = true)]
    public Input<string>? SourceNode { get; set; }

    [Input(DisplayName = "Target node", Description = "The node it moves to.", Required = true)]
    public Input<string>? TargetNode { get; set; }

    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    [Input(Description = "The migration procedure to run (a definition id: imported, or given to 'run' before this workflow's file).",
        DefaultValue = DefaultProcedure)]
    public Input<string>? Procedure { get; set; }

    [Input(DisplayName = "Procedure inputs", Description = "More inputs of the procedure, as a JSON object (e.g. {\"DiskBandwidth\": 0}).", UIHint = InputUIHints.JsonEditor)]
    public Input<object>? ProcedureInputs { get; set; }

    [Input(DisplayName = "Slot wait (s)", Description = "How long to wait for a free migration slot when a node is at the host's limit; then the VM is reported refused.",
        DefaultValue = 600)]
    public Input<int>? SlotWaitSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var move = new EvacuationMove(Need(context, VmId, nameof(VmId)), Need(context, SourceNode, nameof(SourceNode)), Need(context, TargetNode, nameof(TargetNode)));
        var name = context.Get(Procedure) is { Length: > 0 } p ? p.Trim() : DefaultProcedure;
        var procedure = await context.Services.GetRequiredService<WorkflowActivityResolver>().ResolveAsync(name, context.CancellationToken)
            ?? throw new InvalidOperationException($"No migration procedure '{name}': import it ('./elsa-migrate import workflows/{name}.json') or give its file " +
                                                   $"to run before this workflow ('./elsa-migrate run workflows/{name}.json workflows/evacuate-node.json ...').");
        var runtime = context.Services.GetRequiredService<IWorkflowRuntime>();
        var starter = context.Services.GetService<IVmMigrationStarter>() ?? new RuntimeVmMigrationStarter(runtime);
        var start = await StartAsync(context, starter, procedure, Inputs(context, move), move);
        var result = start switch
        {
            VmMigrationStart.Started started => await WaitAsync(context, runtime, starter, move, started.InstanceId),
            VmMigrationStart.Refused refused => new VmMigrationResult(move, VmResultOutcomes.Refused, $"{refused.Code}: {refused.Reason}", null),
            _ => throw new InvalidOperationException($"Unknown start result {start}."),
        };
        await context.JournalAsync(result.Describe(), new JsonObject { [EvacuationReport.ResultKey] = result.ToJson() });
        context.Set(Result, result.ToJson());
    }

    private Dictionary<string, JsonNode?> Inputs(ActivityExecutionContext context, EvacuationMove move)
    {
        var more = context.Get(ProcedureInputs) switch
        {
            null => null,
            JsonObject o => o,
            string text when text.TrimStart().StartsWith('{') => JsonNode.Parse(text) as JsonObject,
            string { Length: 0 } => null,
            var other => JsonSerializer.SerializeToNode(other, other.GetType()) as JsonObject
                ?? throw new ArgumentException($"ProcedureInputs must be a JSON object of input names and values, not {other}."),
        };
        var inputs = (more ?? []).Where(p => !MoveInputs.Contains(p.Key, StringComparer.OrdinalIgnoreCase))
            .ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal);
        inputs["VmId"] = move.VmId;
        inputs["SourceNode"] = move.SourceNode;
        inputs["TargetNode"] = move.TargetNode;
        if (context.Get(Site) is { Length: > 0 } site)
            inputs["Site"] = site;
        return inputs;
    }

    // A node at the host's limit frees a slot when one of its migrations ends: wait for it (an evacuation is a queue),
    // at most SlotWaitSeconds. Any other refusal is the VM's result at once.
    private async Task<VmMigrationStart> StartAsync(ActivityExecutionContext context, IVmMigrationStarter starter, WorkflowDefinition procedure,
        Dictionary<string, JsonNode?> inputs, EvacuationMove move)
    {
        var giveUpAt = context.Time.GetUtcNow() + TimeSpan.FromSeconds(Math.Max(0, context.Get(SlotWaitSeconds)));
        var said = false;
        while (true)
        {
            // Not the activity's token: a start is short, and one half done when a cancel arrives would leave an instance nobody cancels.
            var start = await starter.StartAsync(procedure, inputs, move.VmId, $"evacuation:{context.InstanceId}", CancellationToken.None);
            if (start is not VmMigrationStart.Refused { Code: VmMigrationStart.NodeLimit } full || context.Time.GetUtcNow() >= giveUpAt)
                return start;
            if (!said)
                await context.JournalAsync($"VM {move.VmId}: waiting for a migration slot ({full.Reason})");
            said = true;
            await Task.Delay(SlotPoll, context.Time, context.CancellationToken);
        }
    }

    private static async Task<VmMigrationResult> WaitAsync(ActivityExecutionContext context, IWorkflowRuntime runtime, IVmMigrationStarter starter,
        EvacuationMove move, string instanceId)
    {
        try
        {
            await context.JournalAsync($"VM {move.VmId}: migration {move.SourceNode} -> {move.TargetNode} started as instance {instanceId} " +
                                       $"(follow it: ./elsa-migrate show {instanceId})",
                new JsonObject { [EvacuationReport.StartedKey] = new JsonObject { ["vmId"] = move.VmId, ["instanceId"] = instanceId } });
            await runtime.WaitForEndAsync(instanceId, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested && !context.IsHostStopping)
        {
            // The evacuation is being cancelled: so is this migration (its compensation rolls it back). Its end is journaled
            // directly: the evacuation's own journal calls take its cancelled token, and the row decides its outcome.
            await runtime.CancelAsync(instanceId, CancellationToken.None);
            await runtime.WaitForEndAsync(instanceId, CancellationToken.None);
            await starter.ReleaseAsync(instanceId, CancellationToken.None);
            var cancelled = await MigrationInstanceResult.ReadAsync(context.Services, move, instanceId, CancellationToken.None);
            await context.Services.GetRequiredService<IJournalStore>().AppendAsync(new JournalEntry(0, context.InstanceId, context.Time.GetUtcNow(),
                JournalKind.Message, context.Activity.Id, context.Activity.Type, Message: cancelled.Describe(),
                Data: new JsonObject { [EvacuationReport.ResultKey] = cancelled.ToJson() }, Host: context.HostId), CancellationToken.None);
            throw;
        }
        // The server releases the lock of every instance its runtime ends; a process without it (the CLI) does it here.
        await starter.ReleaseAsync(instanceId, CancellationToken.None);
        return await MigrationInstanceResult.ReadAsync(context.Services, move, instanceId, context.CancellationToken);
    }

    private static string Need(ActivityExecutionContext context, Input<string>? input, string name) =>
        context.Get(input) is { Length: > 0 } value ? value.Trim() : throw new ArgumentException($"The input {name} is empty: give the {name} of the VM to migrate.");
}
