using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>Result of a <see cref="NodePipe"/>: bytes that went from the producer into the consumer.</summary>
public sealed record NodePipeResult(long BytesTransferred, TimeSpan Duration, string ProducerStandardError, string ConsumerStandardError);

/// <summary>
/// Pipes one node's command stdout into another node's command stdin (e.g. <c>zfs send | zfs recv</c>), streamed
/// through a fixed buffer (nothing is held in memory), counting bytes. If either side fails, the other is stopped
/// and a <see cref="NodeCommandException"/> for the failing side is thrown; cancellation stops both. On every path
/// both processes are killed if still running and reaped, and every pipe end we hold is closed (see
/// <see cref="ChildProcess"/>): a send whose reader is gone must get EPIPE, not block while it holds its snapshot.
/// </summary>
public sealed class NodePipe
{
    private const int BufferSize = 1 << 20;
    private static readonly TimeSpan StderrGrace = TimeSpan.FromSeconds(2);
    private readonly ILogger _logger;

    public NodePipe(ILogger? logger = null) => _logger = logger ?? NullLogger.Instance;

    /// <summary>
    /// How long, once the producer's stream ended, both processes may take to exit (a consumer may still commit: a
    /// receive, dd's fsync); a side still running then is killed and <see cref="NodeCommandTimeoutException"/> says which.
    /// </summary>
    public TimeSpan ExitTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long, once the consumer quit and the producer was killed, both may take to exit.</summary>
    public TimeSpan StoppedExitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="producerCommand"/> on <paramref name="producer"/> piped into <paramref name="consumerCommand"/> on <paramref name="consumer"/>.</summary>
    public async Task<NodePipeResult> RunAsync(NodeExecutor producer, NodeCommand producerCommand, NodeExecutor consumer, NodeCommand consumerCommand,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var producerSpec = producer.Transport.Prepare(producerCommand);
        var consumerSpec = consumer.Transport.Prepare(consumerCommand);
        var started = Stopwatch.GetTimestamp();
        // Disposal (also on exceptions and cancellation) closes our pipe ends, kills what still runs and reaps it.
        await using var consumerProcess = Start(consumer, consumerCommand, consumerSpec, redirectStdin: true);
        await using var producerProcess = Start(producer, producerCommand, producerSpec, redirectStdin: false);
        var consumerOutput = DiscardAsync(consumerProcess.StandardOutput);

        var (copied, consumerQuit) = await CopyAsync(producerProcess, consumerProcess, progress, cancellationToken).ConfigureAwait(false);
        if (consumerQuit)
        {
            // The consumer is gone: stop the producer, and close our read end so that whoever writes it gets EPIPE
            // (zfs-fuse's daemon writes a send stream itself: killing the zfs client alone does not stop it).
            producerProcess.Kill();
            producerProcess.CloseStandardOutput();
        }
        else
        {
            consumerProcess.CloseStandardInput(); // EOF for the consumer
        }
        await WaitForExitAsync(producerProcess, producer, producerCommand, consumerProcess, consumer, consumerCommand, consumerQuit, cancellationToken)
            .ConfigureAwait(false);

        var producerStderr = await producerProcess.ReadStandardErrorAsync(StderrGrace).ConfigureAwait(false);
        var consumerStderr = await consumerProcess.ReadStandardErrorAsync(StderrGrace).ConfigureAwait(false);
        await Task.WhenAny(consumerOutput, Task.Delay(StderrGrace, CancellationToken.None)).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _logger.LogInformation("Pipe {Producer}:{ProducerCommand} -> {Consumer}:{ConsumerCommand}: {Bytes} bytes in {Ms} ms",
            producer.NodeName, producerCommand.ToString(), consumer.NodeName, consumerCommand.ToString(), copied, (long)elapsed.TotalMilliseconds);

        // Report the side that caused the failure: the consumer when it quit early (the producer was stopped),
        // otherwise the producer (a consumer that got a truncated stream fails only as a consequence).
        var consumerFailure = consumerProcess.ExitCode != 0
            ? new NodeCommandException(consumer.NodeName, consumerCommand, consumerSpec, consumerProcess.ExitCode, consumerStderr) : null;
        var producerFailure = producerProcess.ExitCode != 0 && !consumerQuit
            ? new NodeCommandException(producer.NodeName, producerCommand, producerSpec, producerProcess.ExitCode, producerStderr) : null;
        if ((producerFailure ?? consumerFailure) is { } failure) throw failure;
        if (consumerQuit)
            throw new NodeCommandException(consumer.NodeName, consumerCommand, consumerSpec, 0,
                $"exited successfully but stopped reading after {copied} bytes; the producer was stopped, the stream is incomplete. {consumerStderr}".Trim());
        return new NodePipeResult(copied, elapsed, producerStderr, consumerStderr);
    }

    /// <summary>Copies until the producer's EOF; returns early with <c>ConsumerQuit</c> when the consumer stopped reading or failed.</summary>
    private static async Task<(long Copied, bool ConsumerQuit)> CopyAsync(ChildProcess producer, ChildProcess consumer, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var consumerExit = consumer.WaitForExitAsync(CancellationToken.None);
        long copied = 0;
        while (true)
        {
            var read = producer.StandardOutput.ReadAsync(buffer, cancellationToken).AsTask();
            if (!read.IsCompleted && !consumerExit.IsCompleted) await Task.WhenAny(read, consumerExit).ConfigureAwait(false);
            if (!read.IsCompleted && consumer.ExitCode != 0)
            {
                // The consumer failed while the producer had nothing to write: do not wait for the producer's next block.
                producer.CloseStandardOutput();
                try
                {
                    await read.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // The pending read ends with the stream we just closed.
                }
                return (copied, true);
            }
            var count = await read.ConfigureAwait(false);
            if (count == 0) return (copied, false);
            try
            {
                await consumer.StandardInput.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The consumer exited (EPIPE): its exit code and stderr say why.
                return (copied, true);
            }
            copied += count;
            progress?.Report(copied);
        }
    }

    /// <summary>Waits for both processes to exit, at most <see cref="ExitTimeout"/>; says which one did not.</summary>
    private async Task WaitForExitAsync(ChildProcess producerProcess, NodeExecutor producer, NodeCommand producerCommand,
        ChildProcess consumerProcess, NodeExecutor consumer, NodeCommand consumerCommand, bool consumerQuit, CancellationToken cancellationToken)
    {
        var timeout = consumerQuit ? StoppedExitTimeout : ExitTimeout;
        try
        {
            await Task.WhenAll(producerProcess.WaitForExitAsync(cancellationToken), consumerProcess.WaitForExitAsync(cancellationToken))
                .WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            if (!consumerProcess.HasExited)
                throw new NodeCommandTimeoutException(consumer.NodeName, consumerCommand, timeout,
                    consumerQuit ? "the consumer to exit after it stopped reading" : "the consumer to finish after the end of its input stream", ex);
            throw new NodeCommandTimeoutException(producer.NodeName, producerCommand, timeout,
                consumerQuit ? "the producer to exit after it was killed (its consumer had quit)" : "the producer to exit after the end of its output stream", ex);
        }
    }

    private static async Task DiscardAsync(Stream output)
    {
        try
        {
            await output.CopyToAsync(Stream.Null).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Closed by the disposal: whatever the consumer printed is not needed.
        }
    }

    private static ChildProcess Start(NodeExecutor node, NodeCommand command, ProcessSpec spec, bool redirectStdin)
    {
        try
        {
            return ChildProcess.Start(spec, redirectStdin);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeCommandException(node.NodeName, command, spec, -1, ex.Message, ex);
        }
    }
}
