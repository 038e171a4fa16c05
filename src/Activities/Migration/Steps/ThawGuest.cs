using System.Text.Json.Nodes;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Migration.Freeze;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>Ends the freeze of FreezeGuest (right after the ZFS snapshots); safe to run twice and when nothing is frozen.</summary>
[Activity("VmMigration", "VM Migration", "Thaws the guest frozen by FreezeGuest and reports the freeze window.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class ThawGuest : CodeActivity
{
    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        MigrationScope.Service<FreezeWatchdog>(context).Disarm(scope.Plan.SourceQmpSocket);
        if (scope.State.Freeze is not { } freeze || !Enum.TryParse<FreezeMode>(freeze.Mode, out var mode))
        {
            await context.JournalAsync("Guest was not frozen: nothing to thaw");
            return;
        }
        var qmp = await scope.SourceAsync();
        var thawed = await GuestThaw.ThawAsync(qmp, scope.SourceNode, scope.Plan.GuestAgentSocket, mode, scope.Token);
        await scope.ReleaseAsync(LedgerKinds.GuestFrozen, scope.Plan.VmId);
        var window = (context.Time.GetUtcNow() - freeze.FrozenAt).TotalMilliseconds;
        scope.State.Freeze = null;
        scope.SaveState();
        await context.JournalAsync(
            thawed ? $"Guest thawed ({mode}) after {window:0} ms frozen" : $"Guest was already running (watchdog thawed it?) after {window:0} ms",
            new JsonObject { ["mode"] = mode.ToString(), ["freezeWindowMs"] = window, ["thawedByWatchdog"] = !thawed });
    }
}
