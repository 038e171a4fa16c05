using System.Diagnostics;
using System.Globalization;
using System.Text;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Migration;

/// <summary>
/// Reads a run of regions of a raw disk (file or zvol) on a node with <c>dd iflag=direct</c>, streamed through the
/// node's transport (locally or over SSH). O_DIRECT because buffered reads of a ZFS-received file may return stale
/// page-cache data (facts doc), and because it reads what QEMU (<c>cache=none</c>) wrote, not a cached copy.
/// A QEMU holding the disk open does not stop it: nothing is locked, only read.
/// </summary>
internal sealed class DiskRegionReader : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly NodeExecutor _node;
    private readonly NodeCommand _command;

    private DiskRegionReader(NodeExecutor node, NodeCommand command, Process process)
    {
        _node = node;
        _command = command;
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
    }

    /// <summary>The byte stream of the regions.</summary>
    public Stream Stream => _process.StandardOutput.BaseStream;

    /// <summary>Starts <c>dd</c> for <paramref name="count"/> regions of <paramref name="regionBytes"/> from region <paramref name="first"/>.</summary>
    public static DiskRegionReader Open(NodeExecutor node, string path, long regionBytes, long first, long count)
    {
        if (!NameRules.IsSafeAbsolutePath(path)) throw new ArgumentException($"disk path '{path}' is not a safe absolute path");
        var command = new NodeCommand("dd", $"if={path}", "iflag=direct", $"bs={regionBytes.ToString(CultureInfo.InvariantCulture)}",
            $"skip={first.ToString(CultureInfo.InvariantCulture)}", $"count={count.ToString(CultureInfo.InvariantCulture)}", "status=none");
        var spec = node.Transport.Prepare(command);
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in spec.Arguments) psi.ArgumentList.Add(arg);
        try
        {
            return new DiskRegionReader(node, command,
                Process.Start(psi) ?? throw new NodeCommandException(node.NodeName, command, spec, -1, "Process.Start returned null"));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NodeCommandException(node.NodeName, command, spec, -1, ex.Message, ex);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> as far as the stream goes; returns the bytes read (less only at the end).</summary>
    public async Task<int> ReadBlockAsync(Memory<byte> buffer, CancellationToken ct) =>
        await Stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);

    /// <summary>Waits for <c>dd</c> to exit; throws with its stderr when it failed.</summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        var stderr = (await _stderr.ConfigureAwait(false)).Trim();
        if (_process.ExitCode != 0)
            throw new NodeCommandException(_node.NodeName, _command, _node.Transport.Prepare(_command), _process.ExitCode, stderr);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
