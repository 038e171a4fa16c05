using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Evacuation;

/// <summary>
/// The evacuation's result table, one row per VM of the plan in the order planned (<see cref="EvacuationReport"/>,
/// read from the journal where PlanEvacuation and each MigrateVm wrote it), for <c>Elsa.SetOutput</c>; whether every VM
/// moved, and if not, the reason an <c>Elsa.Fault</c> after it can carry.
/// </summary>
[Activity("Evacuation", "Evacuation", "Collects the per-VM results of the evacuation: VM, target, outcome (migrated, rolled back with the reason, refused, needs attention).",
    DisplayName = "Evacuation Results")]
[Recovery(RecoveryPolicy.Rerun)] // it only reads the journal
public sealed class Summarize : CodeActivity
{
    [Output(Description = "One row per VM: {vmId, sourceNode, targetNode, outcome, reason, instanceId}.")]
    public Output<object>? Results { get; set; }

    [Output(DisplayName = "All moved", Description = "True when every VM reached its target.")]
    public Output<bool>? AllMoved { get; set; }

    [Output(Description = "What did not go as planned, per VM (empty when every VM moved).")]
    public Output<string>? Reason { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var report = EvacuationReport.Read(await context.GetJournalAsync())
            ?? throw new InvalidOperationException("No evacuation plan in this instance's journal: put Evacuation.PlanEvacuation before this step.");
        await context.JournalAsync(report.Describe());
        context.Set(Results, report.ToJson());
        context.Set(AllMoved, report.AllMoved);
        context.Set(Reason, report.Reason ?? "");
    }
}
