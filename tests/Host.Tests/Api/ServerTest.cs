namespace Elsa.Migration.Host.Tests.Api;

/// <summary>A test class with its own real server on a fresh SQLite file, started before each test and stopped after it,
/// and one timeout for the whole test.</summary>
public abstract class ServerTest(TimeSpan timeout) : IAsyncLifetime
{
    protected TempDatabase Db { get; } = new();

    protected CancellationTokenSource Timeout { get; } = new(timeout);

    protected RunningServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RunningServer.StartAsync(Db.Path, cancellationToken: Timeout.Token);

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Db.Dispose();
        Timeout.Dispose();
    }
}
