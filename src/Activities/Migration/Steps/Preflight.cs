using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Preflight;
using Elsa.Migration.Engine.Model;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 1 of the shipped live procedures: every check that can be made without changing anything on any node
/// (<see cref="MigrationPreflight"/>), the estimate, and the migration plan with it in the <c>MigrationPlan</c> variable
/// (the same planner as GetDiskInfo, which it replaces there). A migration that cannot run leaves by
/// <see cref="Refused"/> with every reason (output <see cref="Reason"/>): nothing was created, so there is nothing to
/// roll back, and the outcome is Refused.
/// </summary>
[Activity("VmMigration", "VM Migration",
    "Checks everything that can be checked without changing anything (nodes and their programs, where the VM runs, QEMU, " +
    "common snapshots, target names and space, admission), estimates bytes and times, and writes the migration plan; Refused with every reason.")]
[FlowNode(Outcomes.Done, Refused)]
[Recovery(RecoveryPolicy.Rerun)]
[ChangesNothingOutside]
public sealed class Preflight : CodeActivity<string>
{
    /// <summary>The port a migration that cannot run leaves by.</summary>
    public const string Refused = "Refused";

    /// <summary>The <c>event</c> of the journal line that lists the refusals (<see cref="MigrationOutcome"/> reads it).</summary>
    public const string RefusedEvent = "refused";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Input(Description = "The VM to migrate (its id in the site inventory).", Required = true)]
    public Input<string>? VmId { get; set; }

    [Input(Description = "The node the VM runs on now.", Required = true)]
    public Input<string>? SourceNode { get; set; }

    [Input(Description = "The node the VM moves to.", Required = true)]
    public Input<string>? TargetNode { get; set; }

    [Input(Description = SiteInput.Description)]
    public Input<string>? Site { get; set; }

    [Input(Description = "The limit on each disk copy in bytes per second (the procedure's DiskBandwidth; 0 = none): the estimate's copies run at it.")]
    public Input<long>? DiskBandwidthBytesPerSecond { get; set; }

    [Output(Description = "Every refusal on one line (empty when the migration can run): the message of the Elsa.Fault after Refused.")]
    public Output<string>? Reason { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var preflight = MigrationScope.Service<MigrationPreflight>(context);
        var report = await preflight.RunAsync(new PreflightRequest(
            context.Get(VmId), Empty(context.Get(SourceNode)), context.Get(TargetNode), context.Get(Site), context.InstanceId, context.Get(DiskBandwidthBytesPerSecond)),
            keepSourceSession: true, context.CancellationToken);
        context.Set(Result, JsonSerializer.Serialize(report, Json));
        if (!report.CanRun || report.Plan is not { } plan)
        {
            context.Set(Reason, report.Reason);
            await context.JournalAsync($"Refused, nothing was changed: {report.Reason}", new JsonObject
            {
                ["event"] = RefusedEvent,
                ["reason"] = report.Reason,
                ["refusals"] = JsonSerializer.SerializeToNode(report.Refusals, Json),
                ["elapsedMs"] = report.ElapsedMs,
            });
            await context.CompleteAsync(Refused);
            return;
        }
        context.Set(Reason, "");
        plan.Write(context);
        await PlanJournal.WriteAsync(context, plan);
        if (plan.Estimate is { } estimate)
            await context.JournalAsync(Describe(estimate) + $" (preflight {report.ElapsedMs:0} ms)",
                new JsonObject { ["estimate"] = JsonSerializer.SerializeToNode(estimate, Json), ["elapsedMs"] = report.ElapsedMs });
    }

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>One line: bytes per disk, RAM, link rate and the expected times.</summary>
    public static string Describe(MigrationEstimate estimate) =>
        "Estimate: " + string.Join(", ", estimate.Disks.Where(d => d.BytesToSend > 0).Select(d => $"{d.DeviceId} {d.BytesToSend} B ({d.Strategy})")) +
        $"; RAM {estimate.RamBytes} B dirtied at {estimate.RamDirtyBytesPerSecond} B/s; link {estimate.LinkBytesPerSecond:0} B/s ({estimate.LinkRateSource})" +
        (estimate.DiskCopyLimitBytesPerSecond is { } limit ? $", each disk copy held to {limit} B/s" : "") + ": " +
        $"copy {Seconds(estimate.CopySeconds)}, RAM {Seconds(estimate.RamSeconds)}, downtime {estimate.DowntimeMs:0} ms, total {Seconds(estimate.TotalSeconds)}";

    private static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "no convergence";
}
