using System.Text.RegularExpressions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>
/// A bidirectional stream over a relay process (<c>ssh ... socat - UNIX-CONNECT:PATH</c>): writes go to its stdin,
/// reads come from its stdout. Its stderr is collected (socat's notices tell when the socket is connected).
/// End of stream with a failed process throws <see cref="NodeSocketException"/> with the exit code and stderr;
/// disposing closes stdin (EOF to the socket), then every other pipe end, and ends the process (killing its tree
/// after a grace period) and reaps it (<see cref="ChildProcess"/>).
/// </summary>
internal sealed partial class RelayProcessStream : Stream
{
    private readonly ChildProcess _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly string _node;
    private readonly string _socketPath;
    private readonly ProcessSpec _spec;
    private readonly TimeSpan _closeGrace;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private RelayProcessStream(ProcessSpec spec, string node, string socketPath, TimeSpan closeGrace)
    {
        _process = ChildProcess.Start(spec, redirectStandardInput: true, KeepStderrLine);
        _stdin = _process.StandardInput;
        _stdout = _process.StandardOutput;
        _node = node;
        _socketPath = socketPath;
        _spec = spec;
        _closeGrace = closeGrace;
    }

    /// <summary>Starts the relay; throws <see cref="NodeSocketException"/> when the program cannot start.</summary>
    public static RelayProcessStream Start(ProcessSpec spec, string node, string socketPath, TimeSpan closeGrace)
    {
        try
        {
            return new RelayProcessStream(spec, node, socketPath, closeGrace);
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
        await _process.ReadStandardErrorAsync(_closeGrace).ConfigureAwait(false);
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
    public string StandardError => _process.StandardError;

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
        _process.WaitForExitAsync(_closeGrace).GetAwaiter().GetResult();
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
        _process.WaitForExitAsync(_closeGrace).GetAwaiter().GetResult();
        return Broken(ex);
    }

    private NodeSocketException Broken(IOException ex) =>
        _process.HasExited
            ? ExitFailure($"Writing failed ({ex.Message}).")
            : new NodeSocketException(_node, _socketPath, NodeSocketFailure.Failed, $"Writing failed ({ex.Message}).", _spec, null, StandardError, ex);

    // Still running after the grace period: the caller decides (kill, or report it as running).
    private Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>socat's notice lines are not errors; the one about the transfer loop says the socket is connected.</summary>
    private bool KeepStderrLine(string line)
    {
        if (!SocatNoticeRegex().IsMatch(line)) return true;
        if (line.Contains(" starting data transfer loop", StringComparison.Ordinal)) _connected.TrySetResult();
        return false;
    }

    /// <summary>
    /// EOF to socat (it half-closes the socket and exits once the peer is done, socat -t 0.5 s), a grace period to
    /// exit, then the child's disposal: every pipe end closed, the process tree killed if it still runs, and reaped.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _process.CloseStandardInput();
        await WaitForExitAsync(_closeGrace).ConfigureAwait(false);
        await _process.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _process.CloseStandardInput();
            _process.WaitForExitAsync(_closeGrace).GetAwaiter().GetResult();
            _process.Dispose();
        }
        base.Dispose(disposing);
    }

    // socat -d -d notices: "2024/01/01 12:00:00 socat[123] N ..."
    [GeneratedRegex(@"socat\[\d+\] N ")] private static partial Regex SocatNoticeRegex();
}
