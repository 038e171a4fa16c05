using System.Text;

namespace Elsa.Migration.Engine.Files;

/// <summary>
/// Reads a file an operator names on the command line (a workflow definition, a site inventory): a regular file of
/// at most <see cref="DefaultMaxBytes"/> (or the limit given), UTF-8 text. Devices and pseudo-files (<c>/dev/zero</c>,
/// <c>/proc/...</c>), directories and anything larger get a clear error instead of a crash or an unbounded read.
/// </summary>
public static class OperatorFile
{
    /// <summary>4 MiB: the largest procedure or inventory a site writes is a few hundred KiB.</summary>
    public const long DefaultMaxBytes = 4L << 20;

    private static readonly string[] PseudoFileSystems = ["/dev/", "/proc/", "/sys/"];

    /// <summary>True for the errors <see cref="ReadTextAsync"/> reports about the file itself (missing, not regular, too large, not UTF-8, unreadable).</summary>
    public static bool IsUnreadable(Exception ex) => ex is IOException or InvalidDataException or UnauthorizedAccessException or DecoderFallbackException;

    /// <summary>The file's text; <paramref name="what"/> names it in errors ("workflow definition", "inventory").</summary>
    public static async Task<string> ReadTextAsync(string path, string what, CancellationToken cancellationToken, long maxBytes = DefaultMaxBytes)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InvalidDataException($"The {what} {path} is a directory: give the path of a JSON file.");
        if (!File.Exists(full)) throw new FileNotFoundException($"The {what} {path} does not exist.", path);
        var target = File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        if (PseudoFileSystems.Any(p => target.StartsWith(p, StringComparison.Ordinal)))
            throw new InvalidDataException($"The {what} {path} is not a regular file ({target}): give the path of a JSON file.");
        await using var stream = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var length = stream.Length;
        if (length > maxBytes)
            throw new InvalidDataException($"The {what} {path} is {length} bytes, more than the limit of {maxBytes} bytes: is it the right file?");
        // A regular file yields exactly its length; a device or pseudo-file elsewhere yields more than its size says.
        var buffer = new byte[length + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0) break;
            read += n;
        }
        if (read > length)
            throw new InvalidDataException($"The {what} {path} is not a regular file (it yields more than its size of {length} bytes): give the path of a JSON file.");
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(buffer, 0, read);
    }
}
