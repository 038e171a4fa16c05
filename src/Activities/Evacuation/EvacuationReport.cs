using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Persistence;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// An evacuation's result table, read from its journal: the plan's moves (<see cref="PlanKey"/>, written by
/// PlanEvacuation) and each VM's result (<see cref="ResultKey"/>, written by MigrateVm). The journal is the record
/// because it is committed as each migration ends, so the table can be rebuilt whatever became of the evacuation.
/// </summary>
public sealed record EvacuationReport(IReadOnlyList<VmMigrationResult> Results)
{
    /// <summary>Data key of the plan's journal line: <c>{node, moves: [...], maxParallel}</c>.</summary>
    public const string PlanKey = "evacuationPlan";

    /// <summary>Data key of the line a MigrateVm writes when it started the VM's migration: <c>{vmId, instanceId}</c>.</summary>
    public const string StartedKey = "vmMigrationStarted";

    /// <summary>Data key of the line a MigrateVm writes when the VM's migration ended: a <see cref="VmMigrationResult"/>.</summary>
    public const string ResultKey = "vmMigrationResult";

    /// <summary>Every VM reached the target.</summary>
    public bool AllMoved => Results.All(r => r.Moved);

    /// <summary>What did not go as planned, one clause per VM ("2 of 3 VMs moved; VM 102 (a -> b) RolledBack: ..."); null when all moved.</summary>
    public string? Reason => AllMoved ? null
        : $"{Results.Count(r => r.Moved)} of {Results.Count} VMs moved; " + string.Join("; ", Results.Where(r => !r.Moved).Select(r => r.Describe()));

    /// <summary>One line per VM, for the journal.</summary>
    public string Describe() => Results.Count == 0
        ? "No VM to move."
        : $"{Results.Count(r => r.Moved)} of {Results.Count} VMs moved: " + string.Join("; ", Results.Select(r => r.Describe()));

    public JsonArray ToJson() => [.. Results.Select(r => (JsonNode)r.ToJson())];

    /// <summary>
    /// The table of the last plan in <paramref name="journal"/>; null when there is no plan (not an evacuation, or it
    /// failed before it knew what to move). A VM without a result is <see cref="VmResultOutcomes.NotStarted"/>, or
    /// <see cref="VmResultOutcomes.Unfinished"/> when its migration was started; <paramref name="error"/> (the
    /// evacuation's own error, if it ended with one) is their reason.
    /// </summary>
    public static EvacuationReport? Read(IReadOnlyList<JournalEntry> journal, string? error = null)
    {
        var planAt = -1;
        for (var i = journal.Count - 1; i >= 0 && planAt < 0; i--)
            if (journal[i].Data?[PlanKey] is JsonObject)
                planAt = i;
        if (planAt < 0)
            return null;
        var moves = (journal[planAt].Data![PlanKey]!["moves"] as JsonArray ?? []).Select(EvacuationMove.FromJson).OfType<EvacuationMove>().ToList();
        var after = journal.Skip(planAt + 1).ToList();
        var results = after.Select(e => VmMigrationResult.FromJson(e.Data?[ResultKey])).OfType<VmMigrationResult>()
            .GroupBy(r => r.VmId).ToDictionary(g => g.Key, g => g.Last());
        var started = after.Select(e => e.Data?[StartedKey]).OfType<JsonObject>()
            .Select(o => (Vm: EvacuationMove.Text(o["vmId"]), Instance: EvacuationMove.Text(o["instanceId"])))
            .Where(s => s.Vm is not null).GroupBy(s => s.Vm!).ToDictionary(g => g.Key, g => g.Last().Instance);
        var why = string.IsNullOrWhiteSpace(error) ? "" : $" ({error.TrimEnd('.')})";
        return new EvacuationReport([.. moves.Select(m => results.GetValueOrDefault(m.VmId) ?? (started.TryGetValue(m.VmId, out var instance)
            ? new VmMigrationResult(m, VmResultOutcomes.Unfinished,
                $"the evacuation ended{why} while its migration ran; see './elsa-migrate show {instance}' for where the VM is", instance)
            : new VmMigrationResult(m, VmResultOutcomes.NotStarted, $"the evacuation ended{why} before this VM's turn", null)))]);
    }
}
