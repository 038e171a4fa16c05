using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Elsa.Migration.Lab.Guest;

/// <summary>
/// Follows the guest's serial log (QEMU <c>-serial file:PATH</c>): the latest heartbeat, the writer's sequence, and
/// waits for the first heartbeat or for the sequence to rise. The file is re-read from the last offset on every call
/// and, while waiting, at a modest interval (lab-only: activities wait on events instead). One reader at a time.
/// </summary>
public sealed partial class GuestConsole
{
    private const int RecentLineCount = 30;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _interval;
    private readonly Queue<(long Number, string Text)> _recent = new();
    private readonly StringBuilder _partial = new();
    private long _offset;
    private long _heartbeats;
    private long _lines;

    /// <summary>Follows <paramref name="serialLogPath"/>; the file may not exist yet (QEMU creates it).</summary>
    /// <param name="serialLogPath">The serial log QEMU writes.</param>
    /// <param name="timeProvider">Clock for timestamps, deadlines and the re-read interval.</param>
    /// <param name="interval">How often a wait re-reads the file (default 100 ms).</param>
    public GuestConsole(string serialLogPath, TimeProvider? timeProvider = null, TimeSpan? interval = null)
    {
        SerialLogPath = serialLogPath;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _interval = interval ?? TimeSpan.FromMilliseconds(100);
    }

    /// <summary>The serial log file.</summary>
    public string SerialLogPath { get; }

    /// <summary>The latest heartbeat read so far (null before the first).</summary>
    public GuestHeartbeat? Latest { get; private set; }

    /// <summary>The guest's <c>ELSA-FATAL</c> reason, when it printed one.</summary>
    public string? FatalReason { get; private set; }

    /// <summary>The last lines of the log, for error messages.</summary>
    public IReadOnlyList<string> RecentLines => _recent.Select(l => l.Text).ToList();

    /// <summary>Reads what the guest printed since the last call; returns the latest heartbeat.</summary>
    public GuestHeartbeat? ReadLatest()
    {
        if (!File.Exists(SerialLogPath))
        {
            return Latest;
        }

        using var stream = new FileStream(SerialLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length < _offset)
        {
            // A new QEMU started on the same log path: follow it from the beginning.
            _offset = 0;
            _partial.Clear();
        }

        stream.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            _offset += read;
            // Latin-1 maps every byte to one char: a stray byte on the console cannot break line splitting.
            _partial.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        var text = _partial.ToString();
        var lastNewline = text.LastIndexOf('\n');
        if (lastNewline < 0)
        {
            return Latest;
        }

        _partial.Clear().Append(text, lastNewline + 1, text.Length - lastNewline - 1);
        foreach (var raw in text[..lastNewline].Split('\n'))
        {
            Consume(raw.TrimEnd('\r'));
        }

        return Latest;
    }

    /// <summary>Waits for the first heartbeat (the guest booted, mounted its disk and writes).</summary>
    public Task<GuestHeartbeat> WaitForFirstHeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(_ => true, "the first heartbeat", timeout, cancellationToken);

    /// <summary>Waits for a heartbeat whose sequence is above <paramref name="sequence"/>.</summary>
    public Task<GuestHeartbeat> WaitForSequenceAboveAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(h => h.Sequence > sequence, $"a heartbeat with seq > {sequence}", timeout, cancellationToken);

    /// <summary>Waits for <paramref name="count"/> heartbeats printed after this call (each is a second of guest time).</summary>
    public Task<GuestHeartbeat> WaitForNewHeartbeatsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ReadLatest();
        var after = (Latest?.Number ?? 0) + count;
        return WaitForAsync(h => h.Number >= after, $"{count} new heartbeat(s)", timeout, cancellationToken);
    }

    /// <summary>Waits until the latest heartbeat satisfies <paramref name="condition"/>; fails on timeout or a fatal guest.</summary>
    public Task<GuestHeartbeat> WaitForAsync(Func<GuestHeartbeat, bool> condition, string what, TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        WaitCoreAsync(() => Latest is { } latest && condition(latest) ? latest : null, what, timeout, cancellationToken);

    /// <summary>Waits for a line printed after this call that satisfies <paramref name="match"/> (e.g. an <c>ELSA-QGA</c> line).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ReadLatest();
        var after = _lines;
        return WaitCoreAsync(() => _recent.Where(l => l.Number > after && match(l.Text)).Select(l => l.Text).FirstOrDefault(),
            what, timeout, cancellationToken);
    }

    private async Task<T> WaitCoreAsync<T>(Func<T?> probe, string what, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        var deadline = _timeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * _timeProvider.TimestampFrequency);
        while (true)
        {
            var latest = ReadLatest();
            if (FatalReason is not null)
            {
                throw new GuestFatalException($"the guest stopped itself: {FatalReason} (serial log {SerialLogPath})");
            }

            if (probe() is { } found)
            {
                return found;
            }

            if (_timeProvider.GetTimestamp() >= deadline)
            {
                throw new TimeoutException(
                    $"waited {timeout.TotalSeconds:0.#} s for {what} on {SerialLogPath}; latest: " +
                    $"{(latest is null ? "no heartbeat" : $"seq={latest.Sequence} uptime={latest.UptimeSeconds}")}. Last lines:\n" +
                    string.Join('\n', RecentLines));
            }

            await Task.Delay(_interval, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Consume(string line)
    {
        if (line.Length == 0)
        {
            return;
        }

        _recent.Enqueue((++_lines, line));
        while (_recent.Count > RecentLineCount)
        {
            _recent.Dequeue();
        }

        var fatal = FatalLine().Match(line);
        if (fatal.Success)
        {
            FatalReason = fatal.Groups[1].Value;
            return;
        }

        // Anywhere in the line: a kernel message may have been printed in front of it.
        var beat = HeartbeatLine().Match(line);
        if (beat.Success
            && long.TryParse(beat.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            && double.TryParse(beat.Groups[2].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var uptime))
        {
            Latest = new GuestHeartbeat(sequence, uptime, ++_heartbeats, _timeProvider.GetUtcNow());
        }
    }

    [GeneratedRegex(@"HEARTBEAT seq=(\d+) uptime=(\d+(?:\.\d+)?)")]
    private static partial Regex HeartbeatLine();

    [GeneratedRegex("ELSA-FATAL (.*)$")]
    private static partial Regex FatalLine();
}
