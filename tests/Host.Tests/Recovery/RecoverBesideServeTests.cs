using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Tests.Api;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>
/// <c>recover</c> (a real CLI process) beside a live server (the real composition, in this process) on one SQLite file:
/// the server's running instance is held by the server's lease, so recover leaves it alone and says who holds it, and
/// the server still runs it afterwards.
/// </summary>
public sealed class RecoverBesideServeTests : IDisposable
{

    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Recover_BesideALiveServer_ShouldLeaveTheServersRunningInstanceAlone()
    {
        await using var server = await RunningServer.StartAsync(_db.Path);
        var runtime = server.Services.GetRequiredService<IWorkflowRuntime>();
        var id = await runtime.StartAsync(server.Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(TestWorkflows.Holding));

        var (exitCode, output, error) = await CliProcess.RunAsync(_db.Path, "recover", "--db", _db.Path);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Matches($@"Left {id} alone: held by {Environment.MachineName} pid {Environment.ProcessId}, lease renewed \d+\.\d s ago", output);
        Assert.Contains("Nothing to recover: every Running instance is held by a live process.", output);
        var journal = await server.Services.GetRequiredService<IJournalStore>().ReadAsync(id, 0, 1000, CancellationToken.None);
        Assert.DoesNotContain(journal, e => e.Kind == JournalKind.ActivityRecovered || e.Data?["event"]?.GetValue<string>() == JournalEvents.TakenOver);
        // The server still holds and runs it: its cancel is applied and it ends Cancelled.
        Assert.True(await runtime.CancelAsync(id));
        Assert.Equal(WorkflowStatus.Cancelled, await runtime.WaitForEndAsync(id).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
