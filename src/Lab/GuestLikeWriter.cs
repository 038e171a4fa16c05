using System.Diagnostics;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Lab;

/// <summary>
/// Writes through the source QEMU's block layer (HMP qemu-io) for the whole migration, like a guest would: only while the
/// vCPUs run. It uses the migration's own QMP session, so its writes are ordered with the migration's commands on one
/// connection: a write sent before the switchover STOP is executed before anything CompleteMirror sends at switchover.
/// (qemu-io itself would still write to a stopped VM, which a real guest cannot; hence the gate.) The tests, the demo and
/// the migration benchmark use it.
/// </summary>
public sealed class GuestLikeWriter : IAsyncDisposable
{
    private readonly QmpSession _session;
    private readonly IReadOnlyList<(string Drive, long Size)> _drives;
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _subscription;
    private readonly Random _random = new(42);
    private readonly TimeSpan _pause;
    private readonly long? _bytesPerSecond;
    private volatile bool _paused;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    /// <param name="session">The migration's QMP session to the source QEMU.</param>
    /// <param name="drives">Device ids and sizes to write to (4-64 KiB at random 4 KiB-aligned offsets).</param>
    /// <param name="pause">Between two writes (default 10 ms).</param>
    /// <param name="bytesPerSecond">A steady rate instead: 64 KiB writes at 64 KiB-aligned offsets paced to it (<paramref name="pause"/> is then ignored).</param>
    public GuestLikeWriter(QmpSession session, IReadOnlyList<(string Drive, long Size)> drives, TimeSpan? pause = null, long? bytesPerSecond = null)
    {
        if (bytesPerSecond is <= 0) throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "The write rate must be positive.");
        _session = session;
        _drives = drives;
        _pause = pause ?? TimeSpan.FromMilliseconds(10);
        _bytesPerSecond = bytesPerSecond;
        _subscription = session.Client.Subscribe(e =>
        {
            if (e is StopEvent) _paused = true;
            else if (e is ResumeEvent) _paused = false;
        });
    }

    public int Writes { get; private set; }
    public long BytesWritten { get; private set; }
    public int SkippedWhilePaused { get; private set; }

    /// <summary>The longest a single write took (ms). HMP's qemu-io holds QEMU's big lock while it writes, so a write the
    /// storage stalls also stalls the migration thread (a real guest's writes would not): benchmarks flag such runs.</summary>
    public double SlowestWriteMs { get; private set; }

    /// <summary>Starts writing in the background until disposed (or the source QEMU quits).</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        var pace = _bytesPerSecond is { } rate ? new WritePace(rate) : null;
        while (!_stop.IsCancellationRequested)
        {
            if (_paused)
            {
                SkippedWhilePaused++;
                pace?.Restart(); // a paused guest does not catch up on the writes it could not make
            }
            else
            {
                var (drive, size) = _drives[_random.Next(_drives.Count)];
                // 4-64 KiB at 4 KiB-aligned offsets, or steady 64 KiB blocks at 64 KiB-aligned ones: one block of the dirty
                // bitmap's granularity each, so what a pass copies compares with what was written (an unaligned 64 KiB
                // write dirties two 64 KiB blocks).
                var length = pace is null ? 4096L * _random.Next(1, 17) : WritePace.BlockBytes;
                var unit = pace is null ? 4096L : WritePace.BlockBytes;
                var offset = unit * _random.NextInt64(0, (size - length) / unit);
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    await BlockLayerWriter.WriteAsync(_session.Client, drive, offset, length, (byte)_random.Next(1, 255), _stop.Token);
                    SlowestWriteMs = Math.Max(SlowestWriteMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Writes++;
                    BytesWritten += length;
                    pace?.Wrote(length);
                }
                catch (QmpDisconnectedException)
                {
                    return; // the source QEMU quit (Cleanup): the VM runs elsewhere now
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
            try
            {
                await Task.Delay(pace is null || _paused ? _pause : pace.UntilNextWrite(), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        await _loop;
        _subscription.Dispose();
        _stop.Dispose();
    }
}
