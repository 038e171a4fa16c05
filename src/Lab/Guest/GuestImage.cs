using System.Globalization;
using System.Security.Cryptography;

namespace Elsa.Migration.Lab.Guest;

/// <summary>
/// The lab guest built by <c>scripts/guest/build-image.sh</c> (run by <c>./scripts/setup.sh</c>): an ELF kernel
/// booted through PVH and a gzip'ed initramfs, cached under <c>.cache/guest/&lt;key&gt;/</c> with a manifest.
/// </summary>
/// <param name="Directory">The image's cache directory.</param>
/// <param name="Key">Content key: hash of the build scripts and the package versions.</param>
/// <param name="KernelRelease">The guest kernel's release, e.g. <c>6.1.0-56-amd64</c>.</param>
/// <param name="Kernel">The ELF vmlinux (<c>qemu -kernel</c>).</param>
/// <param name="Initrd">The initramfs (<c>qemu -initrd</c>).</param>
public sealed record GuestImage(string Directory, string Key, string KernelRelease, GuestImageFile Kernel, GuestImageFile Initrd)
{
    private const string SetupHint = "run ./scripts/setup.sh (it builds the guest from Debian packages)";

    /// <summary>Finds the current image of the repository that contains <paramref name="startDirectory"/>.</summary>
    public static GuestImage Locate(string? startDirectory = null) =>
        LocateInRepository(FindRepositoryRoot(startDirectory ?? AppContext.BaseDirectory));

    /// <summary>Finds the current image under <c>REPOSITORY/.cache/guest</c>; fails when missing or stale.</summary>
    public static GuestImage LocateInRepository(string repositoryRoot)
    {
        var cache = Path.Combine(repositoryRoot, ".cache", "guest");
        var current = Path.Combine(cache, "current");
        if (!File.Exists(current))
        {
            throw new GuestImageException($"The lab guest image is not built (no {current}): {SetupHint}.");
        }

        var key = File.ReadAllText(current).Trim();
        if (key.Length == 0 || key.Any(c => !char.IsAsciiHexDigitLower(c)))
        {
            throw new GuestImageException($"{current} does not hold a cache key ('{key}'): {SetupHint}.");
        }

        var directory = Path.Combine(cache, key);
        var manifest = GuestImageManifest.Read(Path.Combine(directory, "manifest"), SetupHint);
        foreach (var (path, sha256) in manifest.Inputs)
        {
            var file = Path.Combine(repositoryRoot, path);
            if (!File.Exists(file) || Sha256Of(file) != sha256)
            {
                throw new GuestImageException(
                    $"The lab guest image in {directory} was built from another version of {path}: {SetupHint} to rebuild it.");
            }
        }

        var image = new GuestImage(directory, key, manifest.KernelRelease,
            manifest.GetFile(directory, "vmlinux"), manifest.GetFile(directory, "initrd.cpio.gz"));
        foreach (var file in new[] { image.Kernel, image.Initrd })
        {
            if (!File.Exists(file.Path) || new FileInfo(file.Path).Length != file.Size)
            {
                throw new GuestImageException($"The lab guest file {file.Path} is missing or truncated: {SetupHint}.");
            }
        }

        return image;
    }

    /// <summary>Walks up from <paramref name="startDirectory"/> to the directory holding <c>Elsa.Migration.sln</c>.</summary>
    public static string FindRepositoryRoot(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Elsa.Migration.sln")))
            {
                return dir.FullName;
            }
        }

        throw new GuestImageException($"No Elsa.Migration.sln above {startDirectory}: cannot find the repository (and its .cache/guest).");
    }

    /// <summary>Recomputes both files' sha256 and compares them with the manifest (slow: ~70 MB).</summary>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        foreach (var file in new[] { Kernel, Initrd })
        {
            await using var stream = File.OpenRead(file.Path);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            if (actual != file.Sha256)
            {
                throw new GuestImageException(
                    $"The lab guest file {file.Path} has sha256 {actual}, the manifest says {file.Sha256}: {SetupHint} after deleting {Directory}.");
            }
        }
    }

    internal static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>One file of the guest image with the sha256 and size its manifest records.</summary>
/// <param name="Path">Absolute path.</param>
/// <param name="Sha256">Lower-case hex sha256 from the manifest.</param>
/// <param name="Size">Size in bytes from the manifest.</param>
public sealed record GuestImageFile(string Path, string Sha256, long Size);

/// <summary>The manifest written by build-image.sh: lines of <c>kind value...</c>.</summary>
internal sealed record GuestImageManifest(
    string KernelRelease,
    IReadOnlyDictionary<string, (string Sha256, long Size)> Files,
    IReadOnlyList<(string Path, string Sha256)> Inputs)
{
    public static GuestImageManifest Read(string path, string setupHint)
    {
        if (!File.Exists(path))
        {
            throw new GuestImageException($"The lab guest image has no manifest ({path}): {setupHint}.");
        }

        string? release = null;
        var files = new Dictionary<string, (string, long)>();
        var inputs = new List<(string, string)>();
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (parts)
            {
                case ["kernel-release", var r]:
                    release = r;
                    break;
                case ["file", var name, var sha, var size] when long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes):
                    files[name] = (sha, bytes);
                    break;
                case ["input", var input, var sha]:
                    inputs.Add((input, sha));
                    break;
            }
        }

        if (release is null || files.Count == 0 || inputs.Count == 0)
        {
            throw new GuestImageException($"The lab guest manifest {path} is incomplete: {setupHint}.");
        }

        return new GuestImageManifest(release, files, inputs);
    }

    public GuestImageFile GetFile(string directory, string name) =>
        Files.TryGetValue(name, out var entry)
            ? new GuestImageFile(Path.Combine(directory, name), entry.Sha256, entry.Size)
            : throw new GuestImageException($"The lab guest manifest in {directory} lists no {name}: run ./scripts/setup.sh.");
}
