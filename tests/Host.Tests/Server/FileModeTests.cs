using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Server;

/// <summary>The database holds definitions, inputs and journals: its folder is created 0700, the file and its WAL 0600.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileModeTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDatabase _db = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        _db.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Serve_OnANewDatabasePath_ShouldCreateTheFolder0700AndTheDatabaseWalAndShm0600()
    {
        var folder = Path.Combine(_db.Folder, "data", "elsa-migration");
        var path = Path.Combine(folder, "state.db");

        await using var server = await RunningServer.StartAsync(path, cancellationToken: _timeout.Token);
        Assert.True((await server.Client.GetAsync("/api/definitions", _timeout.Token)).IsSuccessStatusCode);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(folder)!));
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            Assert.True(File.Exists(file), file + " does not exist (the server keeps its connections open, so the WAL should)");
            Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file));
        }
    }
}
