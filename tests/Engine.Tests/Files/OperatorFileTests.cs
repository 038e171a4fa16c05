using System.Text;
using Elsa.Migration.Engine.Files;

namespace Elsa.Migration.Engine.Tests.Files;

/// <summary>Files an operator names on the command line: regular files within a size limit, anything else a clear error.</summary>
public sealed class OperatorFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("elsa-operator-file-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact(Timeout = 10_000)]
    public async Task ReadTextAsync_OfARegularFile_ShouldReturnItsText()
    {
        var path = Path.Combine(_dir.FullName, "def.json");
        await File.WriteAllTextAsync(path, "{\"id\":\"é\"}");

        Assert.Equal("{\"id\":\"é\"}", await OperatorFile.ReadTextAsync(path, "workflow definition", CancellationToken.None));
    }

    [Theory(Timeout = 10_000)]
    [InlineData("/dev/zero", "is not a regular file")]
    [InlineData("/proc/self/status", "is not a regular file")]
    [InlineData("/tmp", "is a directory")]
    [InlineData("/no/such/file.json", "does not exist")]
    public async Task ReadTextAsync_OfSomethingElse_ShouldFailWithWhatItIs(string path, string message)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => OperatorFile.ReadTextAsync(path, "inventory", CancellationToken.None));

        Assert.True(OperatorFile.IsUnreadable(ex), ex.GetType().Name);
        Assert.Contains(message, ex.Message);
        Assert.Contains("inventory", ex.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task ReadTextAsync_ThroughALinkToADevice_ShouldFail()
    {
        var link = Path.Combine(_dir.FullName, "innocent.json");
        File.CreateSymbolicLink(link, "/dev/zero");

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => OperatorFile.ReadTextAsync(link, "inventory", CancellationToken.None));

        Assert.Contains("/dev/zero", ex.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task ReadTextAsync_OfAFileOverTheLimit_ShouldFailWithTheSizes()
    {
        var path = Path.Combine(_dir.FullName, "big.json");
        await File.WriteAllBytesAsync(path, new byte[2048]);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => OperatorFile.ReadTextAsync(path, "inventory", CancellationToken.None, maxBytes: 1024));

        Assert.Contains("2048 bytes, more than the limit of 1024 bytes", ex.Message);
    }

    [Fact(Timeout = 10_000)]
    public async Task ReadTextAsync_OfAFileThatIsNotUtf8_ShouldFail()
    {
        var path = Path.Combine(_dir.FullName, "latin1.json");
        await File.WriteAllBytesAsync(path, Encoding.Latin1.GetBytes("{\"name\":\"caf\u00e9\"}"));

        var ex = await Assert.ThrowsAsync<DecoderFallbackException>(() => OperatorFile.ReadTextAsync(path, "inventory", CancellationToken.None));

        Assert.True(OperatorFile.IsUnreadable(ex));
    }
}
