using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Persistence.PostgreSql;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Host.Tests.Recovery;

/// <summary>What the tests that drive a migration through the built CLI share: the run process, a site's edited copy of the
/// shipped procedure, and the engine's stores over the CLI's database.</summary>
internal static class CliMigrationRun
{
    /// <summary><c>elsa-migrate run</c> of the workflow file on a lab VM, as a child process with its own database, after
    /// registering the lab's inventory there as site <see cref="MigrationLab.SiteName"/> (<c>site import</c>, as an operator does).</summary>
    public static async Task<CliProcess> StartAsync(MigrationLab lab, string workflow, string db, string vmId, params string[] moreInputs)
    {
        await ImportSiteAsync(lab, db);
        return CliProcess.Start(db, ["run", workflow, "--db", db, "--input", $"VmId={vmId}", "--input", $"SourceNode={MigrationLab.Source}",
            "--input", $"TargetNode={MigrationLab.Target}", "--input", $"Site={MigrationLab.SiteName}", .. moreInputs.SelectMany(i => new[] { "--input", i })]);
    }

    /// <summary>Registers the lab's current inventory file in <paramref name="db"/> as site <see cref="MigrationLab.SiteName"/>.</summary>
    public static async Task ImportSiteAsync(MigrationLab lab, string db)
    {
        var (exit, output, error) = await CliProcess.RunAsync(db, "--db", db, "site", "import", lab.Lab.InventoryPath, "--name", MigrationLab.SiteName);
        Assert.True(exit == 0, $"site import exited {exit}:\n{output}\n{error}");
    }

    /// <summary>workflows/live-migrate.json with one Int64 input of one activity set (what a site edits in its copy).</summary>
    public static string EditedWorkflow(string activityId, string input, long value)
    {
        var json = JsonNode.Parse(File.ReadAllText(MigrationLab.FindRepositoryFile("workflows/live-migrate.json")))!.AsObject();
        var node = json["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == activityId)!.AsObject();
        node[input] = new JsonObject
        {
            ["typeName"] = "Int64",
            ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value },
        };
        return json.ToJsonString();
    }

    /// <summary>The engine's stores over the CLI's database, for reading (no runtime is started).</summary>
    public static ServiceProvider EngineStores(string db) =>
        new ServiceCollection().AddMigrationEngine(o => o.DatabasePath = db).BuildServiceProvider();

    /// <summary>A lab with the VM (64 MiB replicated disk with a replica on the target, <paramref name="dirtyBytes"/> changed since;
    /// 32 MiB local disk) running on the source.</summary>
    public static async Task<MigrationLab> CreateLabAsync(string vmId, long dirtyBytes, CancellationToken ct)
    {
        var lab = await MigrationLab.CreateAsync(512L << 20, ct);
        try
        {
            await lab.CreateVmAsync(vmId, [(DiskKind.Replicated, 64L << 20), (DiskKind.Local, 32L << 20)], ct);
            if (dirtyBytes > 0)
                await lab.DirtyAsync(vmId, 0, dirtyBytes, ct); // changed since the replica: ZfsReplicate sends an increment
            await lab.StartVmAsync(vmId, ct);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls the CLI's database (never sleeps blindly) until <paramref name="due"/> holds for the instance's
    /// ledger and journal: the moment to act on it. Returns the instance id.</summary>
    public static async Task<string> WaitUntilAsync(ITestOutputHelper output, ServiceProvider store, string db, CliProcess run,
        Func<IReadOnlyList<LedgerEntry>, IReadOnlyList<JournalEntry>, bool> due, CancellationToken ct)
    {
        var instances = store.GetRequiredService<IWorkflowInstanceStore>();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            Assert.False(run.HasExited, $"run exited before the moment came:\n{run.Output}\n{run.Error}");
            var summaries = File.Exists(db) || PostgreSqlConnectionString.IsConnectionString(db) ? await instances.ListAsync(new InstanceQuery(), ct) : [];
            if (summaries.FirstOrDefault() is { } instance)
            {
                var ledger = await store.GetRequiredService<ILedgerStore>().ListAsync(instance.Id, ct);
                var journal = await store.GetRequiredService<IJournalStore>().ReadAsync(instance.Id, 0, 100_000, ct);
                if (due(ledger, journal))
                {
                    output.WriteLine($"the moment came at {deadline.Elapsed.TotalSeconds:0.0} s: ledger {string.Join(", ", ledger.Select(e => e.Kind))}; " +
                        $"last journal: {journal[^1]}");
                    return instance.Id;
                }
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"The moment never came:\n{run.Output}\n{run.Error}");
    }
}
