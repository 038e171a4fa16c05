using System.Globalization;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration.Verification;

/// <summary>
/// Reads a run of regions of a raw disk (file or zvol) on a node with <c>dd iflag=direct</c>, streamed through the
/// node's transport (locally or over SSH). O_DIRECT because buffered reads of a ZFS-received file may return stale
/// page-cache data (facts doc), and because it reads what QEMU (<c>cache=none</c>) wrote, not a cached copy.
/// A QEMU holding the disk open does not stop it: nothing is locked, only read.
/// </summary>
internal sealed class DiskRegionReader : IAsyncDisposable
{
    /// <summary>How long <see cref="FinishAsync"/> waits for <c>dd</c> to exit once its stream was read.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _process;
    private readonly NodeExecutor _node;
    private readonly NodeCommand _command;

    private DiskRegionReader(NodeExecutor node, NodeCommand command, ChildProcess process)
    {
        _node = node;
        _command = command;
        _process = process;
    }

    /// <summary>The byte stream of the regions.</summary>
    public Stream Stream => _process.StandardOutput;

    /// <summary>Starts <c>dd</c> for <paramref name="count"/> regions of <paramref name="regionBytes"/> from region <paramref name="first"/>.</summary>
    public static DiskRegionReader Open(NodeExecutor node, string path, long regionBytes, long first, long count)
    {
        if (!NameRules.IsSafeAbsolutePath(path)) throw new ArgumentException($"disk path '{path}' is not a safe absolute path");
        var command = new NodeCommand("dd", $"if={path}", "iflag=direct", $"bs={regionBytes.ToString(CultureInfo.InvariantCulture)}",
            $"skip={first.ToString(CultureInfo.InvariantCulture)}", $"count={count.ToString(CultureInfo.InvariantCulture)}", "status=none");
        var spec = node.Transport.Prepare(command);
        try
        {
            return new DiskRegionReader(node, command, ChildProcess.Start(spec, redirectStandardInput: false));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeCommandException(node.NodeName, command, spec, -1, ex.Message, ex);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> as far as the stream goes; returns the bytes read (less only at the end).</summary>
    public async Task<int> ReadBlockAsync(Memory<byte> buffer, CancellationToken ct) =>
        await Stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);

    /// <summary>Waits (bounded) for <c>dd</c> to exit; throws with its stderr when it failed.</summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        try
        {
            await _process.WaitForExitAsync(ct).WaitAsync(ExitTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new NodeCommandTimeoutException(_node.NodeName, _command, ExitTimeout, "dd to exit after its regions were read", ex);
        }
        var stderr = await _process.ReadStandardErrorAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        if (_process.ExitCode != 0)
            throw new NodeCommandException(_node.NodeName, _command, _node.Transport.Prepare(_command), _process.ExitCode, stderr);
    }

    /// <summary>Closes the stream, kills <c>dd</c> (or ssh) if it still runs and reaps it.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
