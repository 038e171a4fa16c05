using System.Diagnostics;
using Elsa.Migration.Activities.Tests.Lab;

namespace Elsa.Migration.Activities.Tests.Qemu;

/// <summary>
/// One guest-less QEMU under TCG (<c>-nodefaults -display none -machine pc -m 64</c>) with a QMP UNIX socket and a
/// small raw disk (so <c>query-block</c> has something to show), started as this test's child and killed on dispose.
/// </summary>
internal sealed class GuestlessQemu : IAsyncDisposable
{
    private readonly Process _process;

    private GuestlessQemu(string dir, Process process)
    {
        Directory = dir;
        _process = process;
    }

    public string Directory { get; }
    public string QmpSocket => Path.Combine(Directory, "vm1.qmp");
    public string DiskPath => Path.Combine(Directory, "disk0.raw");
    public int ProcessId => _process.Id;

    public static async Task<GuestlessQemu> StartAsync(CancellationToken ct)
    {
        TestTools.Require("qemu-system-x86_64");
        var dir = TestTools.CreateTempDir("elsa-gq");
        var disk = Path.Combine(dir, "disk0.raw");
        await using (var fs = new FileStream(disk, FileMode.CreateNew)) fs.SetLength(8L * 1024 * 1024);
        var psi = new ProcessStartInfo("qemu-system-x86_64") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "-nodefaults", "-display", "none", "-machine", "pc", "-accel", "tcg", "-m", "64",
            "-qmp", $"unix:{Path.Combine(dir, "vm1.qmp")},server=on,wait=off",
            "-drive", $"file={disk},format=raw,if=none,id=drive0,node-name=disk0,cache=none",
            "-device", "virtio-blk-pci,drive=drive0,id=vd0",
        }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        var qemu = new GuestlessQemu(dir, process);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(qemu.QmpSocket))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await qemu.DisposeAsync();
                Assert.Fail($"QEMU did not create its QMP socket: {(process.HasExited ? await stderr : "(still starting after 15 s)")}");
            }
            await Task.Delay(20, ct);
        }
        return qemu;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
