using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 6: waits until every disk copy has converged. Mirrors converge on <c>BLOCK_JOB_READY</c> (checked with
/// <c>query-block-jobs</c> and awaited as an event, so a READY emitted before this step started is not missed).
/// Backup passes converge by decision: pass after pass while the dirty set shrinks, until the remaining dirty bytes
/// would copy within <see cref="DowntimeBudgetMs"/> at the last pass's rate. Past <see cref="TimeoutSeconds"/>
/// it takes <c>TimedOut</c> (the guest writes faster than the copy, or a job hangs).
/// </summary>
[Activity("VmMigration", "VM Migration", "Waits until every disk copy converged (mirror READY, or backup passes small enough); TimedOut otherwise.")]
[FlowNode(Outcomes.Done, TimedOut, Outcomes.Failed)]
[Recovery(RecoveryPolicy.Rerun)]
public sealed class WaitConvergence : CodeActivity
{
    public const string TimedOut = "TimedOut";

    [Input(Description = "Longest time to wait for all disks to converge before taking TimedOut.", DefaultValue = 600, ZeroOrLessMeansDefault = true)]
    public Input<int>? TimeoutSeconds { get; set; }

    [Input(Description = "Backup passes: converged when the remaining dirty bytes copy within this many ms at the measured rate.", DefaultValue = 100, ZeroOrLessMeansDefault = true)]
    public Input<int>? DowntimeBudgetMs { get; set; }

    [Input(Description = "Bandwidth limit per disk for further backup passes, bytes per second (0 = unlimited).", DefaultValue = 0L)]
    public Input<long>? BandwidthBytesPerSecond { get; set; }

    protected override async ValueTask ExecuteCodeAsync(ActivityExecutionContext context)
    {
        var scope = MigrationScope.Open(context);
        var timeout = TimeSpan.FromSeconds(context.Get(TimeoutSeconds));
        var budget = TimeSpan.FromMilliseconds(context.Get(DowntimeBudgetMs));
        var speed = context.Get(BandwidthBytesPerSecond) is > 0 and var s ? s : (long?)null;
        var deadline = context.Time.GetUtcNow() + timeout;
        var qmp = await scope.SourceAsync();
        var disks = scope.Plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var started = context.Time.GetTimestamp();

        var state = scope.State;
        var waits = disks.ToDictionary(d => d, d => state.CopyOf(d).Strategy == BitmapStrategy.BackupPasses
            ? ConvergePassesAsync(scope, qmp, d, budget, speed, deadline)
            : WaitReadyAsync(scope, qmp, d, deadline));
        var all = Task.WhenAll(waits.Values);
        // A dead target shows first as its QMP connection closing; a throttled job may notice its I/O error only much later.
        // It may already be gone by now: nothing answering on its socket is the same news as a closed connection.
        var targetGone = (await scope.TryGetTargetAsync())?.Client.Completion ?? Task.CompletedTask;
        // Progress while waiting (a sampling timer for the display only; convergence itself is event-driven).
        while (await Task.WhenAny(all, targetGone, Task.Delay(TimeSpan.FromSeconds(1), scope.Token)) != all)
        {
            if (targetGone.IsCompleted)
                throw new InvalidOperationException($"The target QEMU on {scope.Plan.TargetNode} exited while the disks were being copied " +
                    $"(its QMP connection closed); copies so far: {Describe(state, disks)}. Check the target's log; rolling back.");
            await ReportAsync(context, qmp, state, disks, scope.Token);
        }
        try
        {
            await all;
        }
        catch (TimeoutException)
        {
            scope.SaveState();
            await context.JournalAsync($"Disk copies did not converge within {timeout.TotalSeconds:0} s: " + Describe(state, disks),
                new JsonObject { ["timeoutSeconds"] = timeout.TotalSeconds });
            await context.CompleteAsync(TimedOut);
            return;
        }
        scope.SaveState();
        await ReportAsync(context, qmp, state, disks, scope.Token);
        await context.JournalAsync($"All disk copies converged in {context.Time.GetElapsedTime(started).TotalMilliseconds:0} ms: " + Describe(state, disks),
            new JsonObject
            {
                ["disks"] = new JsonArray(disks.Select(d => (JsonNode)new JsonObject
                {
                    ["disk"] = d.DeviceId,
                    ["strategy"] = state.CopyOf(d).Strategy?.ToString() ?? "Mirror",
                    ["bytesCopied"] = state.CopyOf(d).BytesCopied,
                    ["passes"] = state.CopyOf(d).Passes,
                }).ToArray())
            });
    }

    private static async Task WaitReadyAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, DateTimeOffset deadline)
    {
        var after = qmp.SequenceOf(scope.State.CopyOf(disk).JobEventMark);
        var job = (await qmp.Client.QueryBlockJobsAsync(scope.Token)).FirstOrDefault(j => j.Device == disk.JobId);
        if (job is { Ready: true }) return;
        // A job that ended while nobody listened (this connection opened after a host restart) left no event to wait for.
        if (job is null && !qmp.EventsSince(after).OfType<BlockJobEvent>().Any(e => e.Device == disk.JobId))
            throw new InvalidOperationException($"Mirror job {disk.JobId} of disk {disk.DeviceId} is gone from the source QEMU and this connection saw it end " +
                "without an event (it ended while the host was down?): the copy cannot converge; rolling back is the way out.");
        var left = deadline - scope.Context.Time.GetUtcNow();
        if (left <= TimeSpan.Zero) throw new TimeoutException($"Mirror of {disk.DeviceId} not ready before the deadline.");
        var ev = await qmp.WaitForEventAsync<QmpEvent>(after, e => e is BlockJobEvent j && j.Device == disk.JobId, left,
            $"BLOCK_JOB_READY of {disk.JobId}", scope.Token);
        switch (ev)
        {
            case BlockJobReadyEvent:
                return;
            case BlockJobCompletedEvent c:
                throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} ended before it was ready: {c.Error ?? "completed without error"} (did the target QEMU die?)");
            default:
                throw new InvalidOperationException($"Mirror of disk {disk.DeviceId} was cancelled before it was ready ({ev.Name}).");
        }
    }

    private static async Task ConvergePassesAsync(MigrationScope scope, QmpSession qmp, DiskPlan disk, TimeSpan budget, long? speed, DateTimeOffset deadline)
    {
        long? previous = null;
        while (true)
        {
            var dirty = await BackupPass.DirtyBytesAsync(qmp, disk, scope.Token);
            if (ConvergenceRule.Converged(dirty, scope.State.CopyOf(disk).LastPassRate, budget)) return;
            var left = deadline - scope.Context.Time.GetUtcNow();
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"Backup passes of {disk.DeviceId} did not converge: {dirty} dirty bytes left" +
                    (previous is { } p && dirty >= p ? " and not shrinking (the guest writes faster than the copy)" : ""));
            previous = dirty;
            // Not recorded per pass in the ledger: the nbd-client entry's undo cancels this disk's job by its fixed id.
            await BackupPass.RunAsync(scope, qmp, disk, speed, left, recordInLedger: false, scope.Token);
        }
    }

    private static async Task ReportAsync(ActivityExecutionContext context, QmpSession qmp, MigrationState state, List<DiskPlan> disks, CancellationToken ct)
    {
        var jobs = (await qmp.Client.QueryBlockJobsAsync(ct)).ToDictionary(j => j.Device);
        foreach (var disk in disks)
        {
            if (jobs.TryGetValue(disk.JobId, out var job) && job.Type == BlockJobType.Mirror)
                await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", job.Offset, job.Length, "bytes", null, job.Ready ? "ready" : "mirroring"));
            else if (state.CopyOf(disk) is var copy)
                await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", copy.BytesCopied, copy.InitialDirtyBytes ?? copy.BytesCopied, "bytes",
                    copy.LastPassRate, $"{copy.Passes} bitmap passes"));
        }
    }

    private static string Describe(MigrationState state, IEnumerable<DiskPlan> disks) =>
        string.Join(", ", disks.Select(d => state.CopyOf(d) is { Strategy: BitmapStrategy.BackupPasses } copy
            ? $"{d.DeviceId} {copy.Passes} passes, {copy.BytesCopied} bytes"
            : $"{d.DeviceId} mirror"));
}
