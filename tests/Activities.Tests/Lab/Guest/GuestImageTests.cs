using System.Diagnostics;
using Elsa.Migration.Lab.Guest;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Lab.Guest;

public sealed class GuestImageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "elsa-guestimage-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Locate_ShouldFindTheImageSetupBuiltAndItsFilesShouldMatchTheManifest()
    {
        var image = GuestImage.Locate();

        await image.VerifyAsync();
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], (await File.ReadAllBytesAsync(image.Kernel.Path))[..4]);
        Assert.Equal([0x1f, 0x8b], (await File.ReadAllBytesAsync(image.Initrd.Path))[..2]);
        Assert.Matches(@"^\d+\.\d+\.\d+-\d+-amd64$", image.KernelRelease);
        output.WriteLine($"{image.Directory}: initrd {image.Initrd.Size} bytes sha256 {image.Initrd.Sha256}; vmlinux {image.Kernel.Size} bytes");
    }

    [Fact]
    public void LocateInRepository_WhenNothingWasBuilt_ShouldTellToRunSetup()
    {
        Directory.CreateDirectory(_directory);

        var error = Assert.Throws<GuestImageException>(() => GuestImage.LocateInRepository(_directory));

        Assert.Contains("./scripts/setup.sh", error.Message);
    }

    [Fact]
    public void LocateInRepository_WhenTheInitScriptChangedSinceTheBuild_ShouldTellToRebuild()
    {
        var image = Path.Combine(_directory, ".cache", "guest", "0123abcd");
        Directory.CreateDirectory(image);
        Directory.CreateDirectory(Path.Combine(_directory, "scripts", "guest"));
        File.WriteAllText(Path.Combine(_directory, "scripts", "guest", "init.sh"), "#!/bin/sh\necho edited\n");
        File.WriteAllText(Path.Combine(_directory, ".cache", "guest", "current"), "0123abcd\n");
        File.WriteAllText(Path.Combine(image, "vmlinux"), "k");
        File.WriteAllText(Path.Combine(image, "initrd.cpio.gz"), "i");
        File.WriteAllText(Path.Combine(image, "manifest"), string.Join('\n',
            "key 0123abcd", "kernel-release 6.1.0-56-amd64",
            "file vmlinux " + new string('a', 64) + " 1", "file initrd.cpio.gz " + new string('b', 64) + " 1",
            "input scripts/guest/init.sh " + new string('c', 64)));

        var error = Assert.Throws<GuestImageException>(() => GuestImage.LocateInRepository(_directory));

        Assert.Contains("another version of scripts/guest/init.sh", error.Message);
        Assert.Contains("./scripts/setup.sh", error.Message);
    }

    /// <summary>Rebuilds the guest from the same inputs into a temp directory: it must be byte-identical to the cached one.</summary>
    [Fact(Timeout = 600_000)]
    public async Task TheBuildScript_RunAgainWithTheSameInputs_ShouldProduceTheSameSha256()
    {
        var cached = GuestImage.Locate();
        var root = GuestImage.FindRepositoryRoot(AppContext.BaseDirectory);
        var outDir = Path.Combine(_directory, "image");
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(root, "scripts", "guest", "build-image.sh"));
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(outDir);

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"build-image.sh --out {outDir} exited {process.ExitCode}: {await stderr}{await stdout}");
        output.WriteLine($"rebuild took {watch.Elapsed.TotalSeconds:0.0} s");

        var manifest = await File.ReadAllLinesAsync(Path.Combine(outDir, "manifest"));
        Assert.Contains($"key {cached.Key}", manifest); // same inputs; otherwise ./scripts/setup.sh has not run since they changed
        Assert.Equal(cached.Initrd.Sha256, GuestImage.Sha256Of(Path.Combine(outDir, "initrd.cpio.gz")));
        Assert.Equal(cached.Kernel.Sha256, GuestImage.Sha256Of(Path.Combine(outDir, "vmlinux")));
    }
}
