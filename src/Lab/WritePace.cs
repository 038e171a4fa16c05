using System.Diagnostics;

namespace Elsa.Migration.Lab;

/// <summary>
/// Holds a writer to a steady rate: after each block, how long to wait until the bytes written so far are due. When
/// the writes fall behind (QEMU slow to answer) it does not wait, so the rate is kept as far as the writes allow.
/// </summary>
internal sealed class WritePace(long bytesPerSecond)
{
    /// <summary>The block size of paced writes: the dirty bitmaps' granularity, so a block never marks more than itself.</summary>
    public const long BlockBytes = 64 * 1024;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;

    public void Wrote(long bytes) => _bytes += bytes;

    /// <summary>Counts from now (after a pause of the VM).</summary>
    public void Restart()
    {
        _bytes = 0;
        _clock.Restart();
    }

    public TimeSpan UntilNextWrite()
    {
        var due = TimeSpan.FromSeconds((double)_bytes / bytesPerSecond);
        var wait = due - _clock.Elapsed;
        // Not more than a second behind: a stall (e.g. a busy QEMU) is not followed by a burst.
        if (wait < TimeSpan.FromSeconds(-1)) Restart();
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }
}
