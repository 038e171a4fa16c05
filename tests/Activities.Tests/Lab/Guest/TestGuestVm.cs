using System.ComponentModel;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Elsa.Migration.Lab.Guest;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

/// <summary>
/// Test-only launcher of the lab guest under TCG (the product's launcher lives in the Lab; these tests only need
/// one VM): raw data disk with cache=none, serial to a file, the guest-agent chardev and a QMP socket.
/// </summary>
internal sealed class TestGuestVm : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private TestGuestVm(string directory, Process process, StringBuilder stderr)
    {
        Directory = directory;
        _process = process;
        _stderr = stderr;
        Console = new GuestConsole(SerialLog);
    }

    public string Directory { get; }
    public string SerialLog => Path.Combine(Directory, "serial.log");
    public string AgentSocket => Path.Combine(Directory, "qga.sock");
    public string QmpSocket => Path.Combine(Directory, "qmp.sock");
    public string DataDisk => Path.Combine(Directory, "data.raw");
    public GuestConsole Console { get; }
    public bool HasExited => _process.HasExited;
    public string Stderr { get { lock (_stderr) { return _stderr.ToString(); } } }

    public static TestGuestVm Start(GuestImage image, GuestKernelArgs args, long dataDiskBytes = 64L * 1024 * 1024)
    {
        var directory = Path.Combine(Path.GetTempPath(), "elsa-guest-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(directory);
        using (var disk = new FileStream(Path.Combine(directory, "data.raw"), FileMode.CreateNew))
        {
            disk.SetLength(dataDiskBytes); // sparse, all zeros: the guest formats it (elsa_format=auto)
        }

        var start = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "-accel", "tcg", "-cpu", "qemu64,-pni", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot",
                     "-kernel", image.Kernel.Path, "-initrd", image.Initrd.Path, "-append", args.ToAppendString(),
                     "-serial", "file:" + Path.Combine(directory, "serial.log"),
                     "-drive", $"file={Path.Combine(directory, "data.raw")},format=raw,if=none,id=drive0,node-name=disk0,cache=none",
                     "-device", "virtio-blk-pci,drive=drive0,id=vd0",
                     "-chardev", $"socket,path={Path.Combine(directory, "qga.sock")},server=on,wait=off,id=qga0",
                     "-device", "virtio-serial-pci,id=vser0",
                     "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
                     "-qmp", $"unix:{Path.Combine(directory, "qmp.sock")},server=on,wait=off",
                 })
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null for qemu-system-x86_64");
        }
        catch (Win32Exception e)
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw new InvalidOperationException(
                "qemu-system-x86_64 is not installed: run ./scripts/setup.sh (it installs qemu-system-x86)", e);
        }

        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new TestGuestVm(directory, process, stderr);
    }

    /// <summary>Waits for the first heartbeat, failing early with QEMU's stderr if QEMU exits.</summary>
    public async Task<GuestHeartbeat> WaitForBootAsync(TimeSpan timeout)
    {
        using var exited = new CancellationTokenSource();
        var boot = Console.WaitForFirstHeartbeatAsync(timeout, exited.Token);
        var exit = _process.WaitForExitAsync(exited.Token);
        if (await Task.WhenAny(boot, exit) == exit && !boot.IsCompleted)
        {
            await exited.CancelAsync();
            throw new InvalidOperationException(
                $"QEMU exited with code {_process.ExitCode} before the guest's first heartbeat. stderr:\n{Stderr}\nserial:\n" +
                string.Join('\n', Console.RecentLines));
        }

        await exited.CancelAsync();
        return await boot;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>One QMP command on a fresh connection (greeting, qmp_capabilities, command); returns the reply line.</summary>
    public async Task<string> QmpAsync(string command, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(QmpSocket), cancellationToken);
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await reader.ReadLineAsync(cancellationToken); // greeting
        foreach (var execute in new[] { "qmp_capabilities", command })
        {
            var request = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { execute }) + "\n");
            await stream.WriteAsync(request, cancellationToken);
            while (true)
            {
                var line = await reader.ReadLineAsync(cancellationToken)
                           ?? throw new IOException($"QMP closed while waiting for the reply to {execute}");
                if (line.Contains("\"error\"", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"QMP {execute} failed: {line}");
                }

                if (line.Contains("\"return\"", StringComparison.Ordinal))
                {
                    if (execute == command)
                    {
                        return line;
                    }

                    break;
                }
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(wait.Token);
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
