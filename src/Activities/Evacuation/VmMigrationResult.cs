using System.Text.Json.Nodes;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>How one VM of an evacuation ended (a row of the evacuation's <c>Results</c> output).</summary>
public static class VmResultOutcomes
{
    /// <summary>The VM runs on the target (the migration's outcome Migrated).</summary>
    public const string Migrated = Migration.MigrationOutcomes.Migrated;

    /// <summary>The migration failed and was rolled back: the VM runs on the source; the reason is the first failure.</summary>
    public const string RolledBack = Migration.MigrationOutcomes.RolledBack;

    /// <summary>The rollback failed or the VM's location is unknown: see the migration's instance.</summary>
    public const string NeedsAttention = Migration.MigrationOutcomes.NeedsAttention;

    /// <summary>Not started: the host refused it (the VM is being migrated already, an invalid input...); nothing changed.</summary>
    public const string Refused = "Refused";

    /// <summary>A procedure that moves no VM (no <c>VmMigration.*</c> step) finished.</summary>
    public const string Finished = "Finished";

    /// <summary>A procedure that moves no VM faulted or was cancelled.</summary>
    public const string Failed = "Failed";

    /// <summary>Never started: the evacuation ended (failed or was cancelled) before this VM's turn.</summary>
    public const string NotStarted = "NotStarted";

    /// <summary>Started, but the evacuation ended without recording how (a process crash): see the migration's instance.</summary>
    public const string Unfinished = "Unfinished";
}

/// <summary>One row of an evacuation's result table (<see cref="VmResultOutcomes"/>; the reason; the migration's own
/// instance for <c>./elsa-migrate show ID</c>, null when none was started). JSON: <c>{vmId, sourceNode, targetNode,
/// outcome, reason, instanceId}</c>.</summary>
public sealed record VmMigrationResult(string VmId, string SourceNode, string TargetNode, string Outcome, string? Reason, string? InstanceId)
{
    public VmMigrationResult(EvacuationMove move, string outcome, string? reason, string? instanceId)
        : this(move.VmId, move.SourceNode, move.TargetNode, outcome, reason, instanceId) { }

    /// <summary>The VM is where the evacuation wanted it (or the procedure, moving no VM, finished).</summary>
    public bool Moved => Outcome is VmResultOutcomes.Migrated or VmResultOutcomes.Finished;

    /// <summary>Someone must look: the rollback failed, or nobody knows how the migration ended.</summary>
    public bool NeedsAttention => Outcome is VmResultOutcomes.NeedsAttention or VmResultOutcomes.Unfinished;

    /// <summary>One line for the journal and the evacuation's reason.</summary>
    public string Describe() => $"VM {VmId} ({SourceNode} -> {TargetNode}) {Outcome}" + (string.IsNullOrEmpty(Reason) ? "" : $": {Reason}");

    public JsonObject ToJson() => new()
    {
        ["vmId"] = VmId,
        ["sourceNode"] = SourceNode,
        ["targetNode"] = TargetNode,
        ["outcome"] = Outcome,
        ["reason"] = Reason,
        ["instanceId"] = InstanceId,
    };

    public static VmMigrationResult? FromJson(JsonNode? json) =>
        EvacuationMove.FromJson(json) is { } move && EvacuationMove.Text(json!["outcome"]) is { } outcome
            ? new VmMigrationResult(move, outcome, EvacuationMove.Text(json["reason"]), EvacuationMove.Text(json["instanceId"]))
            : null;
}
