using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Engine.Runtime;

/// <summary>
/// Resumes timer bookmarks (<c>Bookmark.ResumeAt</c>) when they are due. The database is the only list of timers:
/// one <see cref="ITimer"/> is armed for the earliest known timer (capped at the poll interval), and each tick resumes
/// what is due and re-arms. Nothing is held in memory per suspended instance, and timers survive restarts.
/// </summary>
internal sealed class DurableTimerScheduler(
    IWorkflowInstanceStore store,
    TimeProvider time,
    TimeSpan pollInterval,
    Func<StoredBookmark, bool> accept,
    Func<StoredBookmark, CancellationToken, Task> resumeAsync,
    ILogger logger,
    CancellationToken stopping) : IAsyncDisposable
{
    private const int BatchSize = 100;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private DateTimeOffset? _armedFor;
    private Task _tick = Task.CompletedTask;
    private int _ticking;
    private volatile bool _again;

    /// <summary>Starts the scheduler (idempotent): the first tick runs at once.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_timer is not null)
                return;
            _timer = time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ArmAt(time.GetUtcNow());
        }
    }

    /// <summary>A timer due at <paramref name="resumeAt"/> was committed: make sure the scheduler wakes up for it.</summary>
    public void Nudge(DateTimeOffset resumeAt)
    {
        lock (_lock)
        {
            if (_timer is not null && (_armedFor is null || resumeAt < _armedFor))
                ArmAt(resumeAt);
        }
    }

    private void ArmAt(DateTimeOffset at)
    {
        var due = at - time.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (due > pollInterval) due = pollInterval;
        _armedFor = at;
        _timer!.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        if (stopping.IsCancellationRequested)
            return;
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            _again = true;
            return;
        }
        _tick = TickAsync();
    }

    private async Task TickAsync()
    {
        try
        {
            do
            {
                _again = false;
                lock (_lock) _armedFor = null;
                var now = time.GetUtcNow();
                var due = await store.GetTimersDueAsync(now, BatchSize, stopping);
                foreach (var timer in due.Where(accept))
                {
                    try
                    {
                        await resumeAsync(timer, stopping);
                    }
                    catch (InstanceHeldException held) when (!stopping.IsCancellationRequested)
                    {
                        // Several hosts see the same due timer; one resumes it, the others' takes are refused (no error).
                        logger.LogInformation("Timer {BookmarkId} of workflow instance {InstanceId}: left to another process ({HeldBy})",
                            timer.Bookmark.Id, timer.InstanceId, held.HeldBy);
                    }
                    catch (Exception ex) when (!stopping.IsCancellationRequested)
                    {
                        logger.LogError(ex, "Resuming timer {BookmarkId} of workflow instance {InstanceId} failed; retrying shortly",
                            timer.Bookmark.Id, timer.InstanceId);
                    }
                }
                if (due.Count == BatchSize)
                    _again = true;
                var next = await store.GetNextTimerAsync(stopping);
                now = time.GetUtcNow();
                // A timer still due here is one this process does not own or could not resume: look again later, not in a loop.
                var wakeAt = next is null ? now + pollInterval : next <= now ? now + RetryDelay : next.Value;
                lock (_lock)
                {
                    if (_timer is not null && (_armedFor is null || wakeAt < _armedFor))
                        ArmAt(wakeAt);
                }
            } while (_again && !stopping.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping: timers stay in the database for the next start.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The durable timer scheduler failed to read due timers; retrying in {Delay}", RetryDelay);
            lock (_lock)
            {
                if (_timer is not null)
                    ArmAt(time.GetUtcNow() + RetryDelay);
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
        // The timer may have fired after the loop's last check and before _ticking was cleared: do not lose that wake-up.
        if (_again && !stopping.IsCancellationRequested)
            OnTimer();
    }

    public async ValueTask DisposeAsync()
    {
        ITimer? timer;
        lock (_lock)
        {
            timer = _timer;
            _timer = null;
        }
        if (timer is not null)
            await timer.DisposeAsync();
        await _tick;
    }
}
