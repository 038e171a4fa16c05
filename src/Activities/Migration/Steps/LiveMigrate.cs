using Elsa.Migration.Activities.Migration.Copy;
using Elsa.Migration.Activities.Migration.Switchover;
using Elsa.Migration.Activities.Migration.Planning;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Ledger;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 7: live-migrates the VM state (RAM, devices) to the target and completes when the source reaches
/// <c>pre-switchover</c>: the source vCPUs are stopped and QEMU waits for <c>migrate-continue</c>, so CompleteMirror can
/// finish every disk while nothing writes. Awaits the MIGRATION event; never polls.
/// </summary>
[Activity("VmMigration", "VM Migration", "Migrates the VM's RAM and device state; completes when the source pauses at pre-switchover.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class LiveMigrate : CodeActivity
{
    [Input(Description = "RAM migration bandwidth limit in bytes per second (0 = QEMU's default).", DefaultValue = 0L)]
    public Input<long>? MaxBandwidthBytesPerSecond { get; set; }

    [Input(Description = "Downtime QEMU aims for when deciding to switch over, in ms (0 = QEMU's default, 300).", DefaultValue = 0)]
    public Input<int>? DowntimeLimitMs { get; set; }

    [Input(Description = "Longest time the RAM migration may take to reach pre-switchover.", DefaultValue = 600, ZeroOrLessMeansDefault = true)]
    public Input<int>? TimeoutSeconds { get; set; }

    [Input(Description = "Start the switchover (finish the disks, continue the migration) from the pre-switchover event itself, the least downtime. " +
        "Off: leave it to CompleteMirror, so steps of your own can run between this one and CompleteMirror while the source is paused.",
        DefaultValue = true)]
    public Input<bool>? SwitchoverAtOnce { get; set; }

    [Input(Description = "Let QEMU throttle the guest's vCPUs when the RAM migration does not converge (auto-converge).", DefaultValue = false)]
    public Input<bool>? AutoConverge { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var plan = scope.Plan;
        var source = await scope.SourceAsync();
        var target = await scope.TargetAsync();
        var timeout = TimeSpan.FromSeconds(context.Get(TimeoutSeconds));

        await target.Client.MigrateSetCapabilitiesAsync([MigrationCapability.Events], true, scope.Token);
        await source.Client.MigrateSetCapabilitiesAsync([MigrationCapability.Events, MigrationCapability.PauseBeforeSwitchover], true, scope.Token);
        await source.Client.MigrateSetCapabilitiesAsync([MigrationCapability.AutoConverge], context.Get(AutoConverge), scope.Token);
        var bandwidth = context.Get(MaxBandwidthBytesPerSecond);
        var downtime = context.Get(DowntimeLimitMs);
        if (bandwidth > 0 || downtime > 0)
            await source.Client.MigrateSetParametersAsync(new MigrationParameters
            {
                MaxBandwidth = bandwidth > 0 ? bandwidth : null,
                DowntimeLimit = downtime > 0 ? TimeSpan.FromMilliseconds(downtime) : null,
            }, scope.Token);

        // A migration already under way on the source is not ours to cancel later: refuse before recording one.
        if ((await source.Client.QueryMigrateAsync(scope.Token)).Status is MigrationStatus.Setup or MigrationStatus.Active
            or MigrationStatus.PreSwitchover or MigrationStatus.Device)
            await scope.RequireOwnAsync(LedgerKinds.Migration, plan.MigrationUri, $"{plan.SourceNode}'s QEMU (a migration in progress)");
        var switchovers = MigrationScope.Service<Switchovers>(context);
        if (context.Get(SwitchoverAtOnce))
        {
            // Armed before the migration starts: the event can come any time after `migrate`.
            var work = await SwitchoverWork.PrepareAsync(scope, TimeSpan.FromSeconds(60));
            switchovers.Arm(context.InstanceId, source, work.RunAsync);
        }
        long mark, started;
        try
        {
            await target.Client.MigrateIncomingAsync(plan.MigrationUri, scope.Token);
            var entry = await scope.RecordAsync(LedgerKinds.Migration, plan.SourceNode, plan.MigrationUri, new JsonObject { ["target"] = plan.TargetNode });
            mark = source.LastSequence;
            started = context.Time.GetTimestamp();
            await source.Client.MigrateAsync(plan.MigrationUri, scope.Token);
            await scope.ConfirmAsync(entry);
            var waiting = source.WaitForEventAsync<MigrationEvent>(mark,
                e => e.Status is MigrationStatus.PreSwitchover or MigrationStatus.Failed or MigrationStatus.Cancelled, timeout,
                "MIGRATION pre-switchover", scope.Token);
            // RAM progress for observers while the pre-copy runs; the switchover itself is awaited as an event.
            while (await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromMilliseconds(500), scope.Token)) != waiting)
            {
                var progress = await source.Client.QueryMigrateAsync(scope.Token);
                if (progress.Ram is { } ram && !waiting.IsCompleted)
                    await context.ReportProgressAsync(new Progress("ram", ram.Transferred, ram.Total, "bytes", ram.Mbps * 125_000,
                        $"RAM pass {ram.DirtySyncCount}: {ram.Transferred} bytes sent, {ram.Remaining} remaining"));
            }
            var ev = await waiting;
            if (ev.Status != MigrationStatus.PreSwitchover)
            {
                var info = await source.Client.QueryMigrateAsync(scope.Token);
                throw new InvalidOperationException($"RAM migration to {plan.TargetNode} {ev.Status}: {info.ErrorDescription ?? "no detail from QEMU"}");
            }
        }
        catch
        {
            // No pre-switchover of a later migration on this pooled session may start this one's switchover.
            switchovers.Disarm(context.InstanceId);
            throw;
        }
        // The guest is paused from now on: no journal here (ResumeTarget reports the RAM figures once the VM runs).
        scope.State.Ram = new RamMigration(context.Time.GetUtcNow(), source.Mark(),
            source.EventsSince(mark).OfType<MigrationPassEvent>().Count(), context.Time.GetElapsedTime(started).TotalMilliseconds);
        scope.SaveState();
        // The switchover the event started (armed above) runs without this step; this step's commit waits until it ended,
        // so no database write competes with it for the host's cores while the guest is paused. Its result, good or bad,
        // is CompleteMirror's to report; a host that dies meanwhile finds this step interrupted and rolls back (policy).
        if (switchovers.Started(context.InstanceId) is { } switchover)
        {
            try
            {
                await switchover.WaitAsync(scope.Token);
            }
            catch (Exception) when (!scope.Token.IsCancellationRequested)
            {
                // CompleteMirror takes the same task and reports how it ended.
            }
        }
    }
}
