using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// A bidirectional stream over a relay process (<c>ssh ... socat - UNIX-CONNECT:PATH</c>): writes go to its stdin,
/// reads come from its stdout. Its stderr is collected (socat's notices tell when the socket is connected).
/// End of stream with a failed process throws <see cref="NodeSocketException"/> with the exit code and stderr;
/// disposing closes stdin (EOF to the socket) and ends the process, killing it after a grace period.
/// </summary>
internal sealed partial class RelayProcessStream : Stream
{
    private const int MaxStderrChars = 16 * 1024;
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly string _node;
    private readonly string _socketPath;
    private readonly ProcessSpec _spec;
    private readonly TimeSpan _closeGrace;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stderrPump;
    private int _disposed;

    private RelayProcessStream(Process process, string node, string socketPath, ProcessSpec spec, TimeSpan closeGrace)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _stdout = process.StandardOutput.BaseStream;
        _node = node;
        _socketPath = socketPath;
        _spec = spec;
        _closeGrace = closeGrace;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>Starts the relay; throws <see cref="NodeSocketException"/> when the program cannot start.</summary>
    public static RelayProcessStream Start(ProcessSpec spec, string node, string socketPath, TimeSpan closeGrace)
    {
        var psi = spec.ToStartInfo(redirectStandardInput: true);
        try
        {
            var process = Process.Start(psi)
                ?? throw new NodeSocketException(node, socketPath, NodeSocketFailure.Failed, "Process.Start returned null.", spec);
            return new RelayProcessStream(process, node, socketPath, spec, closeGrace);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeSocketException(node, socketPath, NodeSocketFailure.Failed,
                $"'{spec.FileName}' could not be started ({ex.Message}): is it installed and on PATH?", spec, inner: ex);
        }
    }

    /// <summary>Pid of the local relay process (ssh).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Completes when socat reports its data transfer loop (the socket is connected).</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes when the relay process exited.</summary>
    public Task Exited => _process.WaitForExitAsync(CancellationToken.None);

    /// <summary>The exception describing how the relay ended, once its stderr is fully read (call after <see cref="Exited"/>).</summary>
    public async Task<NodeSocketException> ExitFailureAsync(string detail)
    {
        // The process can be reaped before its last stderr lines are read: give the pump a moment to reach EOF.
        await Task.WhenAny(_stderrPump, Task.Delay(_closeGrace)).ConfigureAwait(false);
        return ExitFailure(detail);
    }

    private NodeSocketException ExitFailure(string detail)
    {
        var stderr = StandardError;
        var code = _process.ExitCode;
        var failure = code switch
        {
            127 => NodeSocketFailure.SocatMissing,
            _ when stderr.Contains("socat: not found", StringComparison.Ordinal) || stderr.Contains("socat: command not found", StringComparison.Ordinal) => NodeSocketFailure.SocatMissing,
            255 when _spec.FileName == "ssh" => NodeSocketFailure.TransportFailed,
            _ when stderr.Contains("No such file or directory", StringComparison.Ordinal) => NodeSocketFailure.SocketNotFound,
            _ when stderr.Contains("Connection refused", StringComparison.Ordinal) => NodeSocketFailure.ConnectionRefused,
            _ => NodeSocketFailure.Failed,
        };
        return new NodeSocketException(_node, _socketPath, failure, detail, _spec, code, stderr);
    }

    /// <summary>What the relay wrote to stderr, without socat's notice lines.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr) return _stderr.ToString().Trim();
        }
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = _stdout.Read(buffer, offset, count);
        if (read > 0 || count == 0 || Volatile.Read(ref _disposed) == 1) return read;
        _process.WaitForExit(_closeGrace);
        if (_process.HasExited && _process.ExitCode != 0)
            throw ExitFailure("The connection ended because the relay process failed.");
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0 || buffer.Length == 0 || Volatile.Read(ref _disposed) == 1) return read;
        // End of stream: a clean close (QEMU closed the socket, socat exits 0) or a failed relay (ssh dropped, killed).
        await WaitForExitAsync(_closeGrace).ConfigureAwait(false);
        if (_process.HasExited && _process.ExitCode != 0)
            throw await ExitFailureAsync("The connection ended because the relay process failed.").ConfigureAwait(false);
        return 0;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        try
        {
            _stdin.Write(buffer, offset, count);
        }
        catch (IOException ex) when (ex is not NodeSocketException)
        {
            throw BrokenAfterExit(ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _stdin.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not NodeSocketException)
        {
            throw await BrokenAsync(ex).ConfigureAwait(false);
        }
    }

    public override void Flush()
    {
        try
        {
            _stdin.Flush();
        }
        catch (IOException ex) when (ex is not NodeSocketException)
        {
            throw BrokenAfterExit(ex);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not NodeSocketException)
        {
            throw await BrokenAsync(ex).ConfigureAwait(false);
        }
    }

    private async Task<NodeSocketException> BrokenAsync(IOException ex)
    {
        // EPIPE: the relay exited; its exit code and stderr say why.
        await WaitForExitAsync(_closeGrace).ConfigureAwait(false);
        return _process.HasExited ? await ExitFailureAsync($"Writing failed ({ex.Message}).").ConfigureAwait(false) : Broken(ex);
    }

    private NodeSocketException BrokenAfterExit(IOException ex)
    {
        _process.WaitForExit(_closeGrace);
        return Broken(ex);
    }

    private NodeSocketException Broken(IOException ex) =>
        _process.HasExited
            ? ExitFailure($"Writing failed ({ex.Message}).")
            : new NodeSocketException(_node, _socketPath, NodeSocketFailure.Failed, $"Writing failed ({ex.Message}).", _spec, null, StandardError, ex);

    private async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Still running after the grace period: the caller decides (kill, or report it as running).
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (SocatNoticeRegex().IsMatch(line))
                {
                    if (line.Contains(" starting data transfer loop", StringComparison.Ordinal)) _connected.TrySetResult();
                    continue;
                }
                lock (_stderr)
                {
                    if (_stderr.Length < MaxStderrChars) _stderr.AppendLine(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe closed under us during disposal: nothing more to collect.
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            // EOF to socat: it half-closes the socket and exits once the peer is done (socat -t, 0.5 s).
            await _stdin.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The relay already exited (broken pipe): nothing left to close.
        }
        await WaitForExitAsync(_closeGrace).ConfigureAwait(false);
        Kill();
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await _stderrPump.ConfigureAwait(false);
        _process.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _stdin.Dispose();
            }
            catch (IOException)
            {
                // The relay already exited (broken pipe): nothing left to close.
            }
            if (!_process.WaitForExit(_closeGrace)) Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
        base.Dispose(disposing);
    }

    internal void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    // socat -d -d notices: "2024/01/01 12:00:00 socat[123] N ..."
    [GeneratedRegex(@"socat\[\d+\] N ")] private static partial Regex SocatNoticeRegex();
}
