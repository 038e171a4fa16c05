using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab;
using Elsa.Migration.Activities.Lab.Guest;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Migration.RealGuest;

/// <summary>
/// A two-node lab (real zfs-fuse, real QEMU under TCG) running VM "vmg1" with the real guest: drive0 (vda) is the
/// replicated disk holding the guest's ext4 and its writer, drive1 a local disk (half random data, not touched by the
/// guest). The guest is booted on the source and the replica of drive0 sent to the target (a crash-consistent full
/// send while the guest writes, as a replication job would have done earlier). One boot per harness.
/// </summary>
internal sealed class RealGuestHarness : IAsyncDisposable
{
    public const string VmId = "vmg1";
    public const string Source = "lab-a";
    public const string Target = "lab-b";
    public const long ReplicatedSize = 64L << 20, LocalSize = 32L << 20;
    public const int BlocksPerSecond = 20;

    private readonly ITestOutputHelper _output;
    private readonly string _dbDir;

    private RealGuestHarness(LabEnvironment lab, ServiceProvider services, string dbDir, ITestOutputHelper output)
    {
        Lab = lab;
        Services = services;
        _dbDir = dbDir;
        _output = output;
    }

    public LabEnvironment Lab { get; }
    public ServiceProvider Services { get; }
    public QmpSessionPool Pool => Services.GetRequiredService<QmpSessionPool>();
    public VmRuntimePaths SourcePaths => Lab.Inventory.RuntimePaths(VmId, Source);
    public VmRuntimePaths TargetPaths => Lab.Inventory.RuntimePaths(VmId, Target);
    public ResolvedDisk SourceDisk(int i) => Lab.Inventory.ResolveDisk(VmId, $"drive{i}", Source);
    public ResolvedDisk TargetDisk(int i) => Lab.Inventory.ResolveDisk(VmId, $"drive{i}", Target);
    public NodeExecutor Local { get; } = NodeExecutor.Local("localhost");

    /// <summary>Time from QEMU's start to the guest's first heartbeat on the source.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>Builds the lab, boots the guest on the source, replicates drive0 once. <paramref name="time"/> replaces the engine's clock.</summary>
    public static async Task<RealGuestHarness> CreateAsync(ITestOutputHelper output, CancellationToken ct, TimeProvider? time = null, LabOptions? labOptions = null)
    {
        TestTools.Require("qemu-system-x86_64", "zfs-fuse", "zfs", "zpool", "dd", "e2fsck");
        var image = GuestImage.Locate();
        var lab = await LabEnvironment.CreateAsync(labOptions ?? new LabOptions(), cancellationToken: ct);
        var dbDir = TestTools.CreateTempDir("elsa-rg-db");
        var collection = new ServiceCollection();
        if (time is not null) collection.AddSingleton(time); // the engine only adds the system clock when none is registered
        var services = collection
            .AddMigrationEngine(o =>
            {
                o.DatabasePath = Path.Combine(dbDir, "elsa.db");
                o.ActivityAssemblies.Add(typeof(GetDiskInfo).Assembly);
                o.ActivityAssemblies.Add(typeof(CorruptTargetDisk).Assembly); // test-only fault activities
                o.ProgressJournalInterval = TimeSpan.FromMilliseconds(500);
            })
            .AddVmMigration()
            .BuildServiceProvider();
        var harness = new RealGuestHarness(lab, services, dbDir, output);
        try
        {
            await harness.SetUpVmAsync(image, ct);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpVmAsync(GuestImage image, CancellationToken ct)
    {
        var vm = Lab.DefineGuestVm(VmId, image, new GuestVmOptions
        {
            Disks = [(DiskKind.Replicated, ReplicatedSize), (DiskKind.Local, LocalSize)],
            DataDiskIndex = 0,
            BlocksPerSecond = BlocksPerSecond,
            RegionBlocks = 128,
        });
        await Lab.AddVmAsync(vm, ct);
        await Lab.CreateDisksAsync(VmId, Source, ct);
        await FillRandomAsync(SourceDisk(1).Path, LocalSize / 2, ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await (await Lab.StartVmAsync(VmId, Source, cancellationToken: ct)).DisposeAsync(); // QMP serves one client: the pool takes over
        var first = await Lab.WaitForGuestBootAsync(VmId, Source, TimeSpan.FromSeconds(120), ct);
        BootTime = watch.Elapsed;
        _output.WriteLine($"guest booted on {Source} in {BootTime.TotalSeconds:0.0} s (first heartbeat seq={first.Sequence} uptime={first.UptimeSeconds})");
        // The site's earlier replication of drive0.
        await Lab.Zfs(Source).SnapshotAsync(SourceDisk(0).Dataset!, "repl-0", ct);
        await new NodePipe().RunAsync(Local, new NodeCommand("zfs", "send", $"{SourceDisk(0).Dataset}@repl-0"),
            Local, new NodeCommand("zfs", "recv", "-F", TargetDisk(0).Dataset!), cancellationToken: ct);
    }

    private static async Task FillRandomAsync(string path, long length, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        for (long done = 0; done < length; done += buffer.Length)
        {
            Random.Shared.NextBytes(buffer);
            await fs.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), ct);
        }
    }

    /// <summary>The guest's console on a node.</summary>
    public GuestConsole Console(string node) => Lab.GuestConsole(VmId, node);

    /// <summary>
    /// The shipped live-migrate-freeze-verify.json (Agent freeze, VerifyDisks Full between CompleteMirror and ResumeTarget),
    /// or live-migrate-freeze.json with FreezeGuest switched to Agent mode.
    /// </summary>
    public static string FreezeWorkflow(bool verify) => verify
        ? MigrationHarness.WorkflowJson("live-migrate-freeze-verify.json")
        : MigrationHarness.WorkflowJson("live-migrate-freeze.json", w => MigrationHarness.SetInput(w, "freezeGuest", "mode", "String", "Agent"));

    /// <summary>Runs the workflow through the real runtime with the lab's inputs.</summary>
    public async Task<(string InstanceId, WorkflowStatus Status)> RunAsync(string json, CancellationToken ct)
    {
        var runtime = Services.GetRequiredService<IWorkflowRuntime>();
        var definition = Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(json);
        var inputs = new Dictionary<string, JsonNode?>
        {
            ["VmId"] = VmId, ["SourceNode"] = Source, ["TargetNode"] = Target, ["Inventory"] = Lab.InventoryPath,
        };
        var id = await runtime.StartAsync(definition, inputs, cancellationToken: ct);
        return (id, await runtime.WaitForEndAsync(id, ct));
    }

    public async Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId, CancellationToken ct)
    {
        var entries = await Services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);
        foreach (var e in entries.Where(e => e.Kind != JournalKind.Progress)) _output.WriteLine(e.ToString());
        return entries;
    }

    public Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string instanceId, CancellationToken ct) =>
        Services.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct);

    public async Task<IReadOnlyList<string>> SnapshotsAsync(string node, string dataset, CancellationToken ct) =>
        (await Lab.Zfs(node).ListSnapshotsAsync(dataset, ct)).Select(s => s.Name).ToList();

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        try
        {
            await Services.DisposeAsync();
        }
        catch (ObjectDisposedException ex)
        {
            // The engine's double registration of the runtime (see MigrationHarness): harmless here.
            _output.WriteLine($"engine double dispose: {ex.Message}");
        }
        await Lab.DisposeAsync();
        Directory.Delete(_dbDir, recursive: true);
    }
}
