using System.Diagnostics;

namespace Elsa.Migration.Activities.Tests.Lab;

/// <summary>Helpers shared by the integration tests: required tools fail loudly, temp dirs are unique.</summary>
internal static class TestTools
{
    /// <summary>Fails the test with the reason when a required program is missing (never skips).</summary>
    public static void Require(params string[] programs)
    {
        foreach (var program in programs)
        {
            var found = program.StartsWith('/')
                ? File.Exists(program)
                : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, program)));
            Assert.True(found, $"'{program}' is required for this test but is not installed: run ./scripts/setup.sh (installs qemu-system-x86, qemu-utils, zfs-fuse, openssh-server).");
        }
    }

    /// <summary>A new unique directory under /tmp.</summary>
    public static string CreateTempDir(string prefix)
    {
        var dir = Path.Combine("/tmp", $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs a program and returns (exit code, stdout + stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }
}
