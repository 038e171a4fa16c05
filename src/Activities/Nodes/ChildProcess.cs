using System.Diagnostics;
using System.Text;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// A local process (a node command, or ssh running it) that owns every pipe end it took: stdin when redirected,
/// stdout as a raw stream, stderr collected in the background. Disposing closes all of them, kills the whole process
/// tree when it still runs and reaps it, each wait bounded. Why: <c>Process.Dispose</c> leaves open a stream
/// the caller took, and a peer holding the other end (zfs-fuse's daemon writing a <c>zfs send</c> stream, a process
/// that inherited the pipe) then blocks on it for as long as our process lives.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable, IDisposable
{
    private const int MaxStderrChars = 64 * 1024;
    // A process that inherited stderr may keep it open after the kill: stop reading it after this.
    private static readonly TimeSpan StderrGrace = TimeSpan.FromSeconds(2);
    private readonly Process _process;
    private readonly Stream? _stdin;
    private readonly Stream _stdout;
    private readonly StreamReader _stderrReader;
    private readonly StringBuilder _stderr = new();
    private readonly CancellationTokenSource _stopStderr = new();
    private readonly Task _stderrPump;
    private readonly Func<string, bool>? _keepStderrLine;
    private int _disposed;

    private ChildProcess(Process process, bool redirectedStdin, Func<string, bool>? keepStderrLine)
    {
        _process = process;
        _stdin = redirectedStdin ? process.StandardInput.BaseStream : null;
        _stdout = process.StandardOutput.BaseStream;
        _stderrReader = process.StandardError;
        _keepStderrLine = keepStderrLine;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>How long disposing waits for the killed process to be reaped.</summary>
    public TimeSpan ReapTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts <paramref name="spec"/> (an argument list, never a shell line). <paramref name="keepStderrLine"/> sees every
    /// stderr line and says whether it belongs in <see cref="StandardError"/>. Throws
    /// <see cref="System.ComponentModel.Win32Exception"/> when the program cannot be started.
    /// </summary>
    public static ChildProcess Start(ProcessSpec spec, bool redirectStandardInput, Func<string, bool>? keepStderrLine = null)
    {
        var process = Process.Start(spec.ToStartInfo(redirectStandardInput))
            ?? throw new System.ComponentModel.Win32Exception($"Process.Start returned null for {spec.FileName}");
        return new ChildProcess(process, redirectStandardInput, keepStderrLine);
    }

    /// <summary>Pid of the local process (ssh for a remote node).</summary>
    public int Id => _process.Id;

    /// <summary>Our write end of its stdin; only when started with stdin redirected.</summary>
    public Stream StandardInput => _stdin ?? throw new InvalidOperationException("This process was started without a redirected stdin.");

    /// <summary>Our read end of its stdout.</summary>
    public Stream StandardOutput => _stdout;

    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>What it wrote to stderr so far (the lines kept), trimmed; complete once <see cref="StandardErrorClosed"/> ended.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr) return _stderr.ToString().Trim();
        }
    }

    /// <summary>Completes when its stderr reached EOF (or disposing stopped reading it).</summary>
    public Task StandardErrorClosed => _stderrPump;

    /// <summary>Completes when the process exited.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Waits up to <paramref name="timeout"/> for the process to exit; false when it still runs.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Its stderr once it reached EOF, or what arrived within <paramref name="wait"/> (a grandchild may hold it open).</summary>
    public async Task<string> ReadStandardErrorAsync(TimeSpan wait)
    {
        await Task.WhenAny(_stderrPump, Task.Delay(wait)).ConfigureAwait(false);
        return StandardError;
    }

    /// <summary>Closes our end of its stdin: EOF for the process. A process that already exited (EPIPE on flush) is fine.</summary>
    public void CloseStandardInput() => CloseQuietly(_stdin);

    /// <summary>Closes our end of its stdout: its next write fails (EPIPE), whoever holds the write end.</summary>
    public void CloseStandardOutput() => CloseQuietly(_stdout);

    /// <summary>Kills the process and everything it started (over SSH: the ssh client, which ends the remote command).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // A process of the tree exited while being killed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        CloseStandardInput();
        CloseStandardOutput();
        Kill();
        await WaitForExitAsync(ReapTimeout).ConfigureAwait(false);
        if (await Task.WhenAny(_stderrPump, Task.Delay(StderrGrace)).ConfigureAwait(false) != _stderrPump) await _stopStderr.CancelAsync().ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        Release();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        CloseStandardInput();
        CloseStandardOutput();
        Kill();
        _process.WaitForExit(ReapTimeout);
        if (!_stderrPump.Wait(StderrGrace)) _stopStderr.Cancel();
        _stderrPump.Wait();
        Release();
    }

    private void Release()
    {
        _stderrReader.Dispose();
        _process.Dispose();
        _stopStderr.Dispose();
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _stderrReader.ReadLineAsync(_stopStderr.Token).ConfigureAwait(false) is { } line)
            {
                if (_keepStderrLine is { } keep && !keep(line)) continue;
                lock (_stderr)
                {
                    if (_stderr.Length < MaxStderrChars) _stderr.AppendLine(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Disposal stopped the read or closed the pipe under it: nothing more to collect.
        }
    }

    private static void CloseQuietly(Stream? stream)
    {
        try
        {
            stream?.Dispose();
        }
        catch (IOException)
        {
            // Flushing into a pipe whose reader exited (EPIPE): the end is closed all the same.
        }
    }
}
