using Elsa.Migration.Activities.Migration.Planning;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Freeze;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Optional: freezes the guest from before AddDirtyBitmap until right after the ZFS snapshots, so the bitmap and the
/// snapshots describe the same instant and the snapshots of several disks are mutually consistent. A watchdog thaws
/// after <see cref="MaxFreezeSeconds"/> whatever happens; Rollback thaws when the ledger still says frozen.
/// </summary>
[Activity("VmMigration", "VM Migration", "Freezes the guest (guest-agent fsfreeze, or pause) until ThawGuest; thaw guaranteed.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class FreezeGuest : CodeActivity
{
    [Input(Description = "Agent: guest-fsfreeze-freeze through the guest agent. Pause: stop the vCPUs (no agent needed).",
        DefaultValue = FreezeMode.Pause)]
    public Input<FreezeMode>? Mode { get; set; }

    [Input(Description = "Longest time the guest may stay frozen; after it a watchdog thaws the guest.", DefaultValue = 30, ZeroOrLessMeansDefault = true)]
    public Input<int>? MaxFreezeSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var mode = context.Get(Mode);
        var maxSeconds = context.Get(MaxFreezeSeconds);
        var qmp = await scope.SourceAsync();

        var status = await qmp.Client.QueryStatusAsync(scope.Token);
        if (status.Status != RunState.Running)
            throw new InvalidOperationException($"VM {scope.Plan.VmId} is '{status.Status}', not running: refusing to freeze (a later thaw would resume it).");
        var watchdog = MigrationScope.Service<FreezeWatchdog>(context);
        await scope.RecordAsync(LedgerKinds.GuestFrozen, scope.Plan.SourceNode, scope.Plan.VmId,
            new JsonObject { ["mode"] = mode.ToString(), ["agentSocket"] = scope.Plan.GuestAgentSocket });
        // Armed before freezing: whatever happens next, the guest is thawed after MaxFreezeSeconds.
        watchdog.Arm(scope.SourceNode, scope.Plan.SourceQmpSocket, scope.Plan.GuestAgentSocket, mode, TimeSpan.FromSeconds(maxSeconds));
        string said;
        try
        {
            said = await GuestThaw.FreezeAsync(qmp, scope.SourceNode, scope.Plan.GuestAgentSocket, mode, scope.Token);
        }
        catch
        {
            // A failed or timed-out freeze may have frozen some filesystems: thaw now rather than at the watchdog.
            watchdog.Disarm(scope.Plan.SourceQmpSocket);
            await GuestThaw.ThawAsync(qmp, scope.SourceNode, scope.Plan.GuestAgentSocket, mode, CancellationToken.None);
            throw;
        }
        scope.State.Freeze = new GuestFreeze(mode.ToString(), context.Time.GetUtcNow());
        scope.SaveState();
        await context.JournalAsync($"Guest frozen ({mode}: {said}), at most {maxSeconds} s", new JsonObject { ["mode"] = mode.ToString(), ["maxFreezeSeconds"] = maxSeconds });
    }
}
