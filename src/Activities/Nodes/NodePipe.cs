using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Activities.Nodes;

/// <summary>Result of a <see cref="NodePipe"/>: bytes that went from the producer into the consumer.</summary>
public sealed record NodePipeResult(long BytesTransferred, TimeSpan Duration, string ProducerStandardError, string ConsumerStandardError);

/// <summary>
/// Pipes one node's command stdout into another node's command stdin (e.g. <c>zfs send | zfs recv</c>), streamed
/// through a fixed buffer (nothing is held in memory), counting bytes. If either side fails, the other is killed
/// and a <see cref="NodeCommandException"/> for the failing side is thrown; cancellation kills both.
/// </summary>
public sealed class NodePipe
{
    private const int BufferSize = 1 << 20;
    private readonly ILogger _logger;

    public NodePipe(ILogger? logger = null) => _logger = logger ?? NullLogger.Instance;

    /// <summary>Runs <paramref name="producerCommand"/> on <paramref name="producer"/> piped into <paramref name="consumerCommand"/> on <paramref name="consumer"/>.</summary>
    public async Task<NodePipeResult> RunAsync(NodeExecutor producer, NodeCommand producerCommand, NodeExecutor consumer, NodeCommand consumerCommand,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var producerSpec = producer.Transport.Prepare(producerCommand);
        var consumerSpec = consumer.Transport.Prepare(consumerCommand);
        var started = Stopwatch.GetTimestamp();
        using var consumerProcess = Start(consumer, consumerCommand, consumerSpec, redirectStdin: true);
        Process producerProcess;
        try
        {
            producerProcess = Start(producer, producerCommand, producerSpec, redirectStdin: false);
        }
        catch
        {
            Kill(consumerProcess);
            throw;
        }
        using var _ = producerProcess;
        var producerErr = producerProcess.StandardError.ReadToEndAsync(CancellationToken.None);
        var consumerErr = consumerProcess.StandardError.ReadToEndAsync(CancellationToken.None);
        var consumerOut = consumerProcess.StandardOutput.ReadToEndAsync(CancellationToken.None);

        long copied = 0;
        var consumerClosedEarly = false;
        try
        {
            var buffer = new byte[BufferSize];
            var source = producerProcess.StandardOutput.BaseStream;
            var sink = consumerProcess.StandardInput.BaseStream;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The consumer exited (EPIPE): stop the producer; the consumer's exit code and stderr say why.
                    consumerClosedEarly = true;
                    Kill(producerProcess);
                    break;
                }
                copied += read;
                progress?.Report(copied);
            }
            if (!consumerClosedEarly)
            {
                try
                {
                    await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
                    sink.Close(); // EOF for the consumer
                }
                catch (IOException)
                {
                    consumerClosedEarly = true;
                }
            }
            await Task.WhenAll(producerProcess.WaitForExitAsync(cancellationToken), consumerProcess.WaitForExitAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(producerProcess);
            Kill(consumerProcess);
            throw;
        }
        catch
        {
            Kill(producerProcess);
            Kill(consumerProcess);
            throw;
        }

        var producerStderr = (await producerErr.ConfigureAwait(false)).Trim();
        var consumerStderr = (await consumerErr.ConfigureAwait(false)).Trim();
        await consumerOut.ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _logger.LogInformation("Pipe {Producer}:{ProducerCommand} -> {Consumer}:{ConsumerCommand}: {Bytes} bytes in {Ms} ms",
            producer.NodeName, producerCommand.ToString(), consumer.NodeName, consumerCommand.ToString(), copied, (long)elapsed.TotalMilliseconds);

        // Report the side that caused the failure: the consumer when it closed early (the producer was killed),
        // otherwise the producer (a consumer that got a truncated stream fails only as a consequence).
        var consumerFailure = consumerProcess.ExitCode != 0
            ? new NodeCommandException(consumer.NodeName, consumerCommand, consumerSpec, consumerProcess.ExitCode, consumerStderr) : null;
        var producerFailure = producerProcess.ExitCode != 0 && !consumerClosedEarly
            ? new NodeCommandException(producer.NodeName, producerCommand, producerSpec, producerProcess.ExitCode, producerStderr) : null;
        if ((producerFailure ?? consumerFailure) is { } failure) throw failure;
        if (consumerClosedEarly)
            throw new NodeCommandException(consumer.NodeName, consumerCommand, consumerSpec, 0,
                $"exited successfully but stopped reading after {copied} bytes; the producer was stopped, the stream is incomplete. {consumerStderr}".Trim());
        return new NodePipeResult(copied, elapsed, producerStderr, consumerStderr);
    }

    private static Process Start(NodeExecutor node, NodeCommand command, ProcessSpec spec, bool redirectStdin)
    {
        var psi = spec.ToStartInfo(redirectStdin);
        try
        {
            return Process.Start(psi) ?? throw new NodeCommandException(node.NodeName, command, spec, -1, "Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeCommandException(node.NodeName, command, spec, -1, ex.Message, ex);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited between the check and the kill: nothing to do.
        }
    }
}
