using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.Sql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Engine.Tests.Persistence;
using Elsa.Migration.Host.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Tests.Cli;

/// <summary><c>hosts</c> (a real CLI process) beside a live server on each engine: the server is listed live with its
/// one running instance; a process that died without a clean stop (an old row) only with <c>--all</c>, as expired.</summary>
public abstract class HostsCommandTests(PostgreSqlServer? server, DatabaseEngine engine) : StoreTestBase(server, engine)
{

    [Fact(Timeout = 120_000)]
    public async Task Hosts_ShouldListTheLiveServerWithItsInstancesAndADeadProcessOnlyWithAll()
    {
        await using var host = await RunningServer.StartAsync(Store.Setting);
        var runtime = host.Services.GetRequiredService<IWorkflowRuntime>();
        var id = await runtime.StartAsync(host.Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(TestWorkflows.Holding));
        var leases = host.Services.GetRequiredService<IInstanceLeaseStore>();
        var serverId = (await leases.GetAsync(id, default))!.Holder!;
        var dead = new RuntimeHostIdentity("deadbox-4242-0badf00d", "deadbox", 4242);
        await leases.RegisterAsync(dead, DateTimeOffset.UtcNow.AddMinutes(-5), default);

        var (exitCode, output, error) = await CliProcess.RunAsync(Store.Setting, "hosts", "--db", Store.Setting);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Matches($@"{serverId}\s+{Environment.MachineName}\s+{Environment.ProcessId}\s+\d+\.\d s\s+live\s+1\s", output);
        Assert.DoesNotContain("deadbox", output);
        Assert.Contains("1 live host(s), holding 1 Running instance(s); 1 expired (--all lists them).", output);

        (exitCode, output, error) = await CliProcess.RunAsync(Store.Setting, "hosts", "--all", "--db", Store.Setting);

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}{error}");
        Assert.Matches(@"deadbox-4242-0badf00d\s+deadbox\s+4242\s+3\d\d\.\d s\s+expired\s+0\s", output);
        Assert.Matches($@"{serverId}\s+.*live\s+1\s", output);
    }
}

public sealed class SqliteHostsCommandTests() : HostsCommandTests(null, DatabaseEngine.Sqlite);

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlHostsCommandTests(PostgreSqlServer server) : HostsCommandTests(server, DatabaseEngine.PostgreSql);
