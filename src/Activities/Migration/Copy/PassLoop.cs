using System.Diagnostics;
using Elsa.Migration.Activities.Migration.Planning;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Activities.Migration.Copy;

/// <summary>
/// Backup passes of one replicated disk, one after the other in the background while WaitConvergence waits for every
/// disk: each pass copies what the one before left dirty, so the disk stays close to converged while the mirrors of
/// the other disks catch up. When nothing is dirty it looks again after <see cref="IdleInterval"/>. WaitConvergence
/// stops it at convergence and the loop itself hands the disk to a <see cref="FollowMirror"/> for the RAM migration (a backup job that
/// ends during the RAM migration can crash QEMU 7.2: README, "Keeping replicated disks in sync during the RAM
/// migration"). No database work here: the step reads <see cref="Passes"/> and counts them.
/// </summary>
internal sealed class PassLoop
{
    /// <summary>How long to wait before looking at the bitmap again when nothing was dirty.</summary>
    public static readonly TimeSpan IdleInterval = TimeSpan.FromMilliseconds(20);

    private readonly QmpSession _source;
    private readonly long? _speed;
    private readonly TimeSpan _passTimeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _gate = new();
    private readonly List<PassRecord> _passes = [];
    private TaskCompletionSource _passed = NewSignal();
    private Task _loop = Task.CompletedTask;
    private Func<CancellationToken, Task>? _handOver;

    /// <summary>A loop for <paramref name="disk"/> on <paramref name="source"/>, each pass limited to <paramref name="speed"/>
    /// bytes/s (null: unlimited) and <paramref name="passTimeout"/>.</summary>
    public PassLoop(QmpSession source, DiskPlan disk, long? speed, TimeSpan passTimeout)
    {
        _source = source;
        Disk = disk;
        _speed = speed;
        _passTimeout = passTimeout;
    }

    public DiskPlan Disk { get; }

    /// <summary>One completed pass: when it ended, the bytes it copied, how long it took, and what was dirty when it started.</summary>
    public sealed record PassRecord(DateTimeOffset EndedAt, long DirtyBefore, long BytesCopied, TimeSpan Elapsed)
    {
        public double Rate => BytesCopied / Math.Max(Elapsed.TotalSeconds, 1e-4);
    }

    /// <summary>The passes completed so far, oldest first.</summary>
    public IReadOnlyList<PassRecord> Passes
    {
        get { lock (_gate) return [.. _passes]; }
    }

    /// <summary>Completes (and is replaced) after every look at the bitmap and every pass, and when the loop ends.</summary>
    public Task Changed
    {
        get { lock (_gate) return _passed.Task; }
    }

    /// <summary>The loop itself: faulted when a pass failed (a dead target, a lost bitmap).</summary>
    public Task Completion => _loop;

    /// <summary>What is dirty right now (the next pass's size), from the loop's latest look at the bitmap.</summary>
    public long? DirtyNow { get; private set; }

    /// <summary>How long the bitmap had been gathering writes when the hand-over started: since the last pass's start, or
    /// since the look that found it empty. With the hand-over's own time, the window whose writes the final pass copies.</summary>
    public TimeSpan? GatheredBeforeHandOver { get; private set; }

    public void Start() => _loop = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var gatheringSince = Stopwatch.GetTimestamp(); // what the bitmap holds was written after this (set below before any hand-over)
        try
        {
            while (true)
            {
                var lookAt = Stopwatch.GetTimestamp();
                var dirty = await BackupPass.DirtyBytesAsync(_source, Disk, _abort.Token);
                DirtyNow = dirty;
                Signal(null);
                if (dirty == 0)
                {
                    gatheringSince = lookAt;
                    if (_stop.IsCancellationRequested) break; // nothing dirty as of this look: hand over now
                    await Idle();
                    continue;
                }
                // Asked to stop while looking: one more pass, so the hand-over follows a pass's end at once (handing over after
                // the look leaves the look's time and the decision's on top of a pass in the final pass), unless what is dirty
                // grew since the last pass started: then the copy does not keep up (a loaded host) and one more pass would
                // only leave more for the final pass.
                if (_stop.IsCancellationRequested && Grew(dirty)) break;
                var passAt = Stopwatch.GetTimestamp();
                var pass = await BackupPass.RunAsync(_source, Disk, _speed, _passTimeout, _abort.Token, measureDirty: false);
                gatheringSince = passAt; // the pass froze the bitmap at its start; what it holds now was written since
                Signal(new PassRecord(DateTimeOffset.UtcNow, dirty, pass.BytesCopied, pass.Elapsed));
                if (_stop.IsCancellationRequested) break;
            }
            if (_handOver is { } handOver)
            {
                GatheredBeforeHandOver = Stopwatch.GetElapsedTime(gatheringSince);
                await handOver(_abort.Token);
            }
        }
        finally
        {
            lock (_gate) _passed.TrySetResult();
        }
    }

    private bool Grew(long dirty)
    {
        lock (_gate) return _passes.Count > 0 && dirty > _passes[^1].DirtyBefore;
    }

    private async Task Idle()
    {
        try
        {
            await Task.Delay(IdleInterval, _stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: the loop condition ends it.
        }
    }

    private void Signal(PassRecord? record)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (record is not null) _passes.Add(record);
            done = _passed;
            _passed = NewSignal();
        }
        done.TrySetResult();
    }

    /// <summary>
    /// Converged: lets the pass in flight finish (or, when the loop is looking at the bitmap and finds it dirty, runs one
    /// more unless what is dirty grew since the last pass), and runs <paramref name="handOver"/> on the loop itself the
    /// moment that pass ends (at once when the look finds nothing dirty, or more than the last pass had to copy). What is
    /// written from the pass's start until the hand-over's first command stays dirty for the switchover's final pass, so
    /// no decision, thread hop or database write may sit in between. The returned task ends with the hand-over (faulted
    /// when it failed).
    /// </summary>
    public async Task HandOverAsync(Func<CancellationToken, Task> handOver)
    {
        _handOver = handOver;
        await _stop.CancelAsync();
        await _loop;
    }

    /// <summary>Gives up at once (a failed step): the pass in flight is left to Rollback, which cancels the job by its id.</summary>
    public async Task AbortAsync()
    {
        await _stop.CancelAsync();
        await _abort.CancelAsync();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // Rollback undoes what the pass left; why the loop ended does not matter any more.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
