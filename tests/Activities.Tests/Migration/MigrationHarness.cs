using System.Diagnostics;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration;

/// <summary>
/// A two-node lab (real zfs-fuse pools, real QEMU under TCG) plus the real workflow runtime on a fresh SQLite file,
/// with the VmMigration activities registered: what an operator's host runs, on one machine.
/// VM "vm1": drive0 replicated (replica made before the test), drive1 local, drive2 unused.
/// </summary>
internal sealed class MigrationHarness : IAsyncDisposable
{
    public const string VmId = "vm1";
    public const string Source = "lab-a";
    public const string Target = "lab-b";
    public const long ReplicatedSize = 64L << 20, LocalSize = 32L << 20, UnusedSize = 16L << 20;

    private readonly ITestOutputHelper _output;
    private readonly string _dbDir;

    private MigrationHarness(LabEnvironment lab, ServiceProvider services, string dbDir, ITestOutputHelper output)
    {
        Lab = lab;
        Services = services;
        _dbDir = dbDir;
        _output = output;
    }

    public LabEnvironment Lab { get; }
    public ServiceProvider Services { get; }
    public IWorkflowRuntime Runtime => Services.GetRequiredService<IWorkflowRuntime>();
    public QmpSessionPool Pool => Services.GetRequiredService<QmpSessionPool>();
    public VmRuntimePaths SourcePaths => Lab.Inventory.RuntimePaths(VmId, Source);
    public VmRuntimePaths TargetPaths => Lab.Inventory.RuntimePaths(VmId, Target);
    public ResolvedDisk SourceDisk(int i) => Lab.Inventory.ResolveDisk(VmId, $"drive{i}", Source);
    public ResolvedDisk TargetDisk(int i) => Lab.Inventory.ResolveDisk(VmId, $"drive{i}", Target);
    public NodeExecutor Local { get; } = NodeExecutor.Local("localhost");

    /// <summary>A lab node as the inventory reaches it (local, or over SSH).</summary>
    public NodeExecutor Node(string name) => Lab.Inventory.CreateExecutor(name);

    /// <summary>The migration's QMP session of the VM on the source (shared with the activities through the pool).</summary>
    public Task<QmpSession> SourceSessionAsync(CancellationToken ct) => Pool.GetAsync(Node(Source), SourcePaths.QmpSocket, ct);

    /// <summary>The QMP session of the VM's QEMU on the target.</summary>
    public Task<QmpSession> TargetSessionAsync(CancellationToken ct) => Pool.GetAsync(Node(Target), TargetPaths.QmpSocket, ct);

    /// <summary>Builds the lab, the VM's disks with data, the initial replica of drive0 on the target, and starts the VM on the source.</summary>
    public static async Task<MigrationHarness> CreateAsync(ITestOutputHelper output, CancellationToken ct, LabOptions? labOptions = null)
    {
        TestTools.Require("qemu-system-x86_64", "qemu-img", "zfs-fuse", "zfs", "zpool");
        var lab = await LabEnvironment.CreateAsync(labOptions ?? new LabOptions(), cancellationToken: ct);
        var dbDir = TestTools.CreateTempDir("elsa-mig-db");
        var services = new ServiceCollection()
            .AddMigrationEngine(o =>
            {
                o.DatabasePath = Path.Combine(dbDir, "elsa.db");
                o.ActivityAssemblies.Add(typeof(GetDiskInfo).Assembly);
                o.ActivityAssemblies.Add(typeof(MigrationHarness).Assembly); // test-only activities (fault injection)
                o.ProgressJournalInterval = TimeSpan.FromMilliseconds(200);
            })
            .AddVmMigration()
            .BuildServiceProvider();
        var harness = new MigrationHarness(lab, services, dbDir, output);
        try
        {
            await harness.SetUpVmAsync(ct);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpVmAsync(CancellationToken ct)
    {
        var vm = Lab.DefineVm(VmId, (DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize), (DiskKind.Unused, UnusedSize));
        await Lab.AddVmAsync(vm, ct);
        await Lab.CreateDisksAsync(VmId, Source, ct);
        // Initial content: the whole replicated disk and part of the others, random (incompressible, and any mix-up shows).
        await DiskContent.FillRandomAsync(SourceDisk(0).Path, 0, ReplicatedSize, ct);
        await DiskContent.FillRandomAsync(SourceDisk(1).Path, 0, LocalSize / 2, ct);
        await DiskContent.FillRandomAsync(SourceDisk(2).Path, 0, UnusedSize, ct);
        // The site's replication: a full send of drive0 to the target, as the replication job would have done earlier.
        var sourceZfs = Lab.Zfs(Source);
        await sourceZfs.SnapshotAsync(SourceDisk(0).Dataset!, "repl-0", ct);
        await new NodePipe().RunAsync(Local, new NodeCommand("zfs", "send", $"{SourceDisk(0).Dataset}@repl-0"),
            Local, new NodeCommand("zfs", "recv", "-F", TargetDisk(0).Dataset!), cancellationToken: ct);
        // Writes after the replica snapshot, before the migration: ZfsReplicate's incremental send must carry them.
        await DiskContent.FillRandomAsync(SourceDisk(0).Path, 8L << 20, 2L << 20, ct);
        await using var qmp = await Lab.StartVmAsync(VmId, Source, cancellationToken: ct);
        // QEMU serves one QMP client at a time: the migration's session pool takes over from here.
    }

    /// <summary>Starts a guest-like writer on the replicated and local disks of the running source VM.</summary>
    public async Task<GuestLikeWriter> StartWriterAsync(CancellationToken ct)
    {
        var session = await SourceSessionAsync(ct);
        var writer = new GuestLikeWriter(session, [("drive0", ReplicatedSize), ("drive1", LocalSize)]);
        writer.Start();
        return writer;
    }

    /// <summary>The shipped workflow file, optionally edited the way a site would edit its procedure.</summary>
    public static string WorkflowJson(string fileName, Action<JsonObject>? edit = null)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "workflows", fileName))) dir = Path.GetDirectoryName(dir);
        Assert.True(dir is not null, $"workflows/{fileName} not found above {AppContext.BaseDirectory}");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir!, "workflows", fileName)))!.AsObject();
        edit?.Invoke(json);
        return json.ToJsonString();
    }

    /// <summary>Sets a literal input of an activity node in a workflow document.</summary>
    public static void SetInput(JsonObject workflow, string activityId, string input, string typeName, JsonNode value)
    {
        var node = workflow["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == activityId)!.AsObject();
        node[input] = new JsonObject { ["typeName"] = typeName, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
    }

    /// <summary>Runs the workflow through the real runtime with the lab's inputs.</summary>
    public async Task<(string InstanceId, WorkflowStatus Status)> RunAsync(string json, CancellationToken ct)
    {
        var definition = Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(json);
        var inputs = new Dictionary<string, JsonNode?>
        {
            ["VmId"] = VmId, ["SourceNode"] = Source, ["TargetNode"] = Target, ["Inventory"] = Lab.InventoryPath,
        };
        var id = await Runtime.StartAsync(definition, inputs, cancellationToken: ct);
        var status = await Runtime.WaitForEndAsync(id, ct);
        return (id, status);
    }

    public async Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId, CancellationToken ct)
    {
        var entries = await Services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);
        foreach (var e in entries.Where(e => e.Kind != JournalKind.Progress)) _output.WriteLine(e.ToString());
        return entries;
    }

    /// <summary>True once the runtime journaled the start of activity <paramref name="activityId"/> in any instance.</summary>
    public async Task<bool> ActivityStartedAsync(string activityId, CancellationToken ct)
    {
        foreach (var instance in await Services.GetRequiredService<IWorkflowInstanceStore>().ListIdsAsync(WorkflowStatus.Running, ct))
            if ((await Services.GetRequiredService<IJournalStore>().ReadAsync(instance, 0, 100_000, ct))
                .Any(e => e.ActivityId == activityId && e.Kind == JournalKind.ActivityStarted)) return true;
        return false;
    }

    public Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string instanceId, CancellationToken ct) =>
        Services.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct);

    /// <summary><c>qemu-img compare</c> of two raw images, O_DIRECT (stale page cache after a zfs recv) and force-share (a QEMU may hold it).</summary>
    public async Task<(bool Identical, string Output)> CompareAsync(string a, string b, CancellationToken ct)
    {
        var (code, output) = await TestTools.RunAsync("qemu-img", ["compare", "-U", "-T", "none", "-f", "raw", "-F", "raw", a, b], ct);
        _output.WriteLine($"qemu-img compare {a} {b}: exit {code}: {output.Trim()}");
        return (code == 0, output);
    }

    /// <summary>True when a process whose command line names <paramref name="pidFile"/> is alive.</summary>
    public static bool QemuAlive(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited && File.ReadAllText($"/proc/{pid}/cmdline").Contains(pidFile, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    public async Task<bool> DatasetExistsAsync(string node, string dataset, CancellationToken ct) =>
        await Lab.Zfs(node).ExistsAsync(dataset, ct);

    public async Task<IReadOnlyList<string>> SnapshotsAsync(string node, string dataset, CancellationToken ct) =>
        (await Lab.Zfs(node).ListSnapshotsAsync(dataset, ct)).Select(s => s.Name).ToList();

    public async ValueTask DisposeAsync()
    {
        // Every step runs whatever the one before did: a lab left behind keeps QEMUs and pools alive on the machine.
        try
        {
            await Pool.DisposeAsync();
        }
        finally
        {
            try
            {
                await Services.DisposeAsync();
            }
            finally
            {
                await Lab.DisposeAsync();
                Directory.Delete(_dbDir, recursive: true);
            }
        }
    }
}
