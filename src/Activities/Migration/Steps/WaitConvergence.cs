using Elsa.Migration.Activities.Migration.Verification;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Migration.Copy;

namespace Elsa.Migration.Activities.Migration.Steps;

/// <summary>
/// Step 6: waits until every disk copy has converged, all at once. Mirrors converge on <c>BLOCK_JOB_READY</c> (checked
/// with <c>query-block-jobs</c> and awaited as an event, so a READY emitted before this step started is not missed).
/// Replicated disks get backup passes in the background (<see cref="PassLoop"/>), one after the other, until every disk
/// converged at the same moment: what is dirty now would copy within <see cref="DowntimeBudgetMs"/> at the last
/// pass's rate, and every mirror is ready. Then each replicated disk is followed by a mirror (<see cref="FollowMirror"/>)
/// that copies every later write through the RAM migration, so the final pass at the switchover stays small. It takes <c>TimedOut</c> past <see cref="TimeoutSeconds"/>, and early when the passes show the guest writing
/// faster than they copy (the journal gives both rates).
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
        var state = scope.State;
        var disks = scope.Plan.AttachedDisks.Where(d => d.Kind != MigrationDiskKind.Shared).ToList();
        var started = context.Time.GetTimestamp();
        // A re-run (after a host restart) finds a replicated disk's follow mirror running already: it is a mirror now.
        var jobs = (await qmp.Client.QueryBlockJobsAsync(scope.Token)).ToDictionary(j => j.Device);
        foreach (var disk in disks.Where(d => state.CopyOf(d).Strategy == BitmapStrategy.BackupPasses && jobs.TryGetValue(d.JobId, out var j) && j.Type == BlockJobType.Mirror))
            state.CopyOf(disk).FollowMirror = true;
        var loops = disks.Where(d => state.CopyOf(d) is { Strategy: BitmapStrategy.BackupPasses, FollowMirror: false })
            .Select(d => new PassLoop(qmp, d, speed, timeout)).ToList();
        foreach (var loop in loops) loop.Start();
        var mirrors = disks.Where(d => state.CopyOf(d).Strategy != BitmapStrategy.BackupPasses || state.CopyOf(d).FollowMirror).ToList();
        var mirrorsReady = Task.WhenAll(mirrors.Select(d => WaitReadyAsync(scope, qmp, d, deadline)));
        // A dead target shows first as its QMP connection closing; a throttled job may notice its I/O error only much later.
        // It may already be gone by now: nothing answering on its socket is the same news as a closed connection.
        var targetGone = (await scope.TryGetTargetAsync())?.Client.Completion ?? Task.CompletedTask;
        Task? tick = null;
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(scope.Token);
        var deadlineReached = Task.Delay(timeout, stopWaiting.Token);
        var followed = new ConcurrentDictionary<PassLoop, FollowMirrorStart>(); // filled by the loops at the hand-over
        try
        {
            while (true)
            {
                if (targetGone.IsCompleted) throw TargetExited(scope, loops, disks);
                var failedCopy = loops.FirstOrDefault(l => l.Completion.IsFaulted)?.Completion ?? (mirrorsReady.IsFaulted ? mirrorsReady : null);
                if (failedCopy is not null)
                {
                    // A copy to a dead target can fail a moment before its QMP connection is seen closing: name the cause.
                    await Task.WhenAny(targetGone, Task.Delay(TargetExitGrace, scope.Token));
                    if (targetGone.IsCompleted) throw TargetExited(scope, loops, disks);
                    await failedCopy; // its error, as it is
                }
                if (mirrorsReady.IsCompleted && loops.All(l => Converged(l, state.CopyOf(l.Disk).LastPassRate, budget))) break;
                if (loops.Select(l => (Loop: l, Outpaced: ConvergenceRule.WritesOutpaceCopy(l.Passes, l.DirtyNow, budget))).FirstOrDefault(x => x.Outpaced is not null) is { Loop: { } slow } outpaced)
                {
                    await TimeOutAsync(scope, loops, disks, $"the guest writes to {slow.Disk.DeviceId} at {Mb(outpaced.Outpaced!.Value.WriteRate)} " +
                        $"while the passes copy {Mb(outpaced.Outpaced!.Value.CopyRate)}: the copy cannot catch up (lower the guest's write rate, raise the bandwidth limits, or freeze the guest)");
                    return;
                }
                if (deadline - context.Time.GetUtcNow() <= TimeSpan.Zero)
                {
                    await TimeOutAsync(scope, loops, disks, $"not converged within {timeout.TotalSeconds:0} s");
                    return;
                }
                // Woken by any loop's news, a mirror's readiness, the target's end, or the display tick; never spinning on
                // something that already happened.
                tick ??= Task.Delay(TimeSpan.FromSeconds(1), scope.Token);
                var news = loops.Where(l => !l.Completion.IsCompleted).Select(l => l.Changed).Append(tick).Append(deadlineReached).ToList();
                if (!mirrorsReady.IsCompleted) news.Add(mirrorsReady);
                if (!targetGone.IsCompleted) news.Add(targetGone);
                await Task.WhenAny(news);
                if (!tick.IsCompleted) continue;
                tick = null;
                await ReportAsync(context, qmp, state, loops, disks, scope.Token);
            }
            // Converged: each replicated disk goes over to a follow mirror for the RAM migration, started by its loop the
            // moment the pass in flight ends (the ledger entries first, while that pass still copies).
            var entries = new List<LedgerEntry>();
            foreach (var loop in loops) entries.Add(await FollowMirror.RecordAsync(scope, loop.Disk));
            await Task.WhenAll(loops.Select(l => l.HandOverAsync(async ct => followed[l] = await FollowMirror.StartAsync(qmp, l.Disk, speed, ct))));
            foreach (var (loop, entry) in loops.Zip(entries))
            {
                await scope.ConfirmAsync(entry);
                var copy = state.CopyOf(loop.Disk);
                (copy.JobEventMark, copy.LeftForFinalPass) = (followed[loop].EventMark, followed[loop].LeftInBitmap);
                copy.FollowMirror = true;
            }
            await Task.WhenAll(loops.Select(l => WaitReadyAsync(scope, qmp, l.Disk, deadline + TimeSpan.FromSeconds(30))));
            // From here on the target's last-pass bitmaps record what the copies write until the switchover (the follow
            // mirrors and mirrors through the RAM migration, the drains and final passes): VerifyDisks' "last pass". Cleared
            // now rather than at pre-switchover: no command to the target inside the pause.
            state.Converged = new Convergence(context.Time.GetUtcNow(), await ClearLastPassAsync(scope, disks));
        }
        catch (Exception ex) when (ex is TimeoutException)
        {
            await TimeOutAsync(scope, loops, disks, ex.Message);
            return;
        }
        catch
        {
            await Task.WhenAll(loops.Select(l => l.AbortAsync()));
            throw;
        }
        finally
        {
            await stopWaiting.CancelAsync(); // the deadline's timer
        }
        Count(state, loops);
        scope.SaveState();
        await ReportAsync(context, qmp, state, [], disks, scope.Token);
        await context.JournalAsync($"All disk copies converged in {context.Time.GetElapsedTime(started).TotalMilliseconds:0} ms: {Describe(state, loops, disks)}" +
            (loops.Count > 0 ? "; the replicated disks are followed by mirrors until the switchover" : ""),
            new JsonObject
            {
                ["disks"] = new JsonArray(disks.Select(d => (JsonNode)new JsonObject
                {
                    ["disk"] = d.DeviceId,
                    ["strategy"] = state.CopyOf(d).Strategy?.ToString() ?? "Mirror",
                    ["bytesCopied"] = state.CopyOf(d).BytesCopied,
                    ["passes"] = state.CopyOf(d).Passes,
                    ["followMirror"] = state.CopyOf(d).FollowMirror,
                    ["leftForFinalPass"] = state.CopyOf(d).LeftForFinalPass,
                    ["handOverMs"] = loops.FirstOrDefault(l => l.Disk == d) is { } l && followed.TryGetValue(l, out var f) ? Math.Round(f.HandOverMs, 2) : null,
                    // The final pass copies what was written in this window: from the last pass's start to the bitmap's disable.
                    ["finalPassWindowMs"] = loops.FirstOrDefault(l => l.Disk == d) is { GatheredBeforeHandOver: { } gathered } w && followed.TryGetValue(w, out var g)
                        ? Math.Round(gathered.TotalMilliseconds + g.HandOverMs, 2) : null,
                    ["history"] = History(loops.FirstOrDefault(l => l.Disk == d)),
                }).ToArray())
            });
    }

    /// <summary>How long a failed copy waits to learn whether the target QEMU died (its QMP connection closing).</summary>
    private static readonly TimeSpan TargetExitGrace = TimeSpan.FromSeconds(2);

    private static InvalidOperationException TargetExited(MigrationScope scope, IReadOnlyList<PassLoop> loops, List<DiskPlan> disks) =>
        new($"The target QEMU on {scope.Plan.TargetNode} exited while the disks were being copied " +
            $"(its QMP connection closed); copies so far: {Describe(scope.State, loops, disks)}. Check the target's log; rolling back.");

    /// <summary>Clears the target's last-pass bitmaps of the tracked disks; the time it took (ms), null when none is tracked.</summary>
    private static async Task<double?> ClearLastPassAsync(MigrationScope scope, List<DiskPlan> disks)
    {
        var tracked = disks.Where(d => scope.State.TargetBitmapsOf(d).Contains(d.LastPassBitmap)).ToList();
        if (tracked.Count == 0) return null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await TargetWriteBitmaps.ClearLastPassAsync(await scope.TargetAsync(), tracked, scope.State, scope.Token);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>What is dirty now copies within the budget at the latest rate (the loop's last pass, else BitmapMirror's first).</summary>
    private static bool Converged(PassLoop loop, double? firstPassRate, TimeSpan budget) =>
        loop.DirtyNow is { } dirty && ConvergenceRule.Converged(dirty, loop.Passes is { Count: > 0 } passes ? passes[^1].Rate : firstPassRate, budget);

    private static async Task TimeOutAsync(MigrationScope scope, IReadOnlyList<PassLoop> loops, List<DiskPlan> disks, string why)
    {
        // Nothing waits for these passes now: stop them before Rollback cancels their jobs.
        await Task.WhenAll(loops.Select(l => l.AbortAsync()));
        Count(scope.State, loops);
        scope.SaveState();
        await scope.JournalAsync($"Disk copies did not converge: {why}; {Describe(scope.State, loops, disks)}",
            new JsonObject { ["reason"] = why, ["disks"] = new JsonArray(loops.Select(l => (JsonNode)new JsonObject { ["disk"] = l.Disk.DeviceId, ["history"] = History(l) }).ToArray()) });
        await scope.Context.CompleteAsync(TimedOut);
    }

    /// <summary>Counts the background passes completed since the last count into the state.</summary>
    internal static void Count(MigrationState state, IReadOnlyList<PassLoop> loops)
    {
        foreach (var loop in loops)
        {
            var copy = state.CopyOf(loop.Disk);
            var passes = loop.Passes;
            foreach (var pass in passes.Skip(copy.BackgroundPasses))
                copy.Count(new PassResult(pass.DirtyBefore, pass.BytesCopied, pass.Elapsed));
            copy.BackgroundPasses = passes.Count;
        }
    }

    /// <summary>Every background pass (dirty when it started, bytes, ms) for the journal: the convergence picture.</summary>
    internal static JsonArray History(PassLoop? loop) => new((loop?.Passes ?? []).Select(p => (JsonNode)new JsonObject
    {
        ["at"] = p.EndedAt,
        ["dirty"] = p.DirtyBefore,
        ["bytes"] = p.BytesCopied,
        ["ms"] = Math.Round(p.Elapsed.TotalMilliseconds, 1),
    }).ToArray());

    private static string Mb(double bytesPerSecond) => $"{bytesPerSecond / 1e6:0.0} MB/s";

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

    private static async Task ReportAsync(ActivityExecutionContext context, QmpSession qmp, MigrationState state, IReadOnlyList<PassLoop> loops,
        List<DiskPlan> disks, CancellationToken ct)
    {
        var jobs = (await qmp.Client.QueryBlockJobsAsync(ct)).ToDictionary(j => j.Device);
        foreach (var disk in disks)
        {
            if (loops.FirstOrDefault(l => l.Disk == disk) is { } loop)
            {
                var passes = loop.Passes;
                var copy = state.CopyOf(disk);
                var copied = copy.BytesCopied + passes.Skip(copy.BackgroundPasses).Sum(p => p.BytesCopied);
                await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", copied, copy.InitialDirtyBytes ?? copied, "bytes",
                    passes.Count > 0 ? passes[^1].Rate : copy.LastPassRate, $"{copy.Passes + passes.Count - copy.BackgroundPasses} bitmap passes, {loop.DirtyNow} bytes dirty"));
            }
            else if (jobs.TryGetValue(disk.JobId, out var job) && job.Type == BlockJobType.Mirror)
                await context.ReportProgressAsync(new Progress($"disk {disk.DeviceId}", job.Offset, job.Length, "bytes", null, job.Ready ? "ready" : "mirroring"));
        }
    }

    private static string Describe(MigrationState state, IReadOnlyList<PassLoop> loops, IEnumerable<DiskPlan> disks) =>
        string.Join(", ", disks.Select(d => loops.FirstOrDefault(l => l.Disk == d) is { } loop
            ? $"{d.DeviceId} {state.CopyOf(d).Passes + loop.Passes.Count - state.CopyOf(d).BackgroundPasses} passes, {loop.DirtyNow} bytes dirty"
            : $"{d.DeviceId} mirror"));
}
