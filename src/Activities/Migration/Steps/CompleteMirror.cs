using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Switchover;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 8, at <c>pre-switchover</c> (the guest is paused: all of this is downtime): the switchover
/// (<see cref="SwitchoverWork"/>): soft <c>block-job-cancel</c> of every READY mirror (it
/// drains and the source stays on its own disk; never <c>block-job-complete</c>, which would pivot the source onto the
/// target's export), the final bitmap backup pass, <c>blockdev-del</c> of the NBD clients, then <c>migrate-continue</c>
/// and the wait for <c>completed</c>. LiveMigrate normally arms it, so it starts from the pre-switchover event itself;
/// this step then only awaits it and records the figures. When nothing was armed (LiveMigrate told to leave it to this
/// step, or the host restarted in between) it runs the switchover itself. Event-driven, no sleeps, no journal or ledger
/// writes here: ResumeTarget reports everything once the VM runs again.
/// </summary>
[Activity("VmMigration", "VM Migration", "At pre-switchover: finishes every disk copy (soft cancel, final bitmap pass), detaches NBD, continues the migration.")]
[FlowNode(Outcomes.Done, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Compensate)]
public sealed class CompleteMirror : CodeActivity
{
    [Input(Description = "Longest time to finish the disks and complete the migration (the guest is paused meanwhile).", DefaultValue = 60, ZeroOrLessMeansDefault = true)]
    public Input<int>? TimeoutSeconds { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var state = scope.State;
        if (state.Ram is null)
            throw new InvalidOperationException("CompleteMirror runs only at pre-switchover: put it right after LiveMigrate.");
        var timeout = TimeSpan.FromSeconds(context.Get(TimeoutSeconds));
        var switchover = MigrationScope.Service<Switchovers>(context).Take(context.InstanceId)
            ?? (await SwitchoverWork.PrepareAsync(scope, timeout)).RunAsync(null, scope.Token);
        var result = await switchover.WaitAsync(timeout, scope.Token);

        foreach (var disk in result.Disks)
        {
            var copy = state.Copies[disk.DeviceId];
            // A local disk's mirror copied the whole disk; a follow mirror adds what it copied to the passes' bytes.
            if (disk.MirrorBytes is { } mirrored) copy.BytesCopied = copy.FollowMirror ? copy.BytesCopied + mirrored : mirrored;
            if (disk.FinalPass is not { } final) continue;
            copy.FinalPassBytes = final.BytesCopied;
            copy.FinalPassMs = final.Elapsed.TotalMilliseconds;
        }
        foreach (var disk in result.Disks)
            if (disk.FinalPass is { WasSkipped: false } final) state.Copies[disk.DeviceId].Count(final);
        state.Switchover = new SwitchoverDone(result.ReactionMs, result.DisksMs, result.WorkMs);
        scope.SaveState();
    }
}
