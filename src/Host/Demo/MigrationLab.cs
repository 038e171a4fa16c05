using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Lab;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Elsa.Migration.Host.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Elsa.Migration.Host.Demo;

/// <summary>
/// The two-node lab the demo and the migration benchmark run on: real zfs-fuse pools, real QEMU (TCG), the real runtime
/// on a throw-away SQLite file, and the VmMigration activities. Everything it creates goes away on dispose.
/// </summary>
internal sealed class MigrationLab : IAsyncDisposable
{
    public const string Source = "lab-a", Target = "lab-b";
    private readonly string _dbDir;

    private MigrationLab(LabEnvironment lab, ServiceProvider services, string dbDir)
    {
        Lab = lab;
        Services = services;
        _dbDir = dbDir;
    }

    public LabEnvironment Lab { get; }
    public ServiceProvider Services { get; }
    public NodeExecutor Local { get; } = NodeExecutor.Local("localhost");
    public QmpSessionPool Pool => Services.GetRequiredService<QmpSessionPool>();

    public static async Task<MigrationLab> CreateAsync(long poolSizeBytes, CancellationToken ct)
    {
        foreach (var tool in new[] { "qemu-system-x86_64", "qemu-img", "zfs-fuse", "zfs", "zpool" })
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool))))
                throw new InvalidOperationException($"'{tool}' is missing: run ./scripts/setup.sh (or ./elsa-migrate demo, which runs it).");
        var lab = await LabEnvironment.CreateAsync(new LabOptions { PoolSizeBytes = poolSizeBytes }, cancellationToken: ct);
        var dbDir = Path.Combine("/tmp", "elsa-demo-db-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dbDir);
        var services = new ServiceCollection()
            .AddMigrationRuntime(Path.Combine(dbDir, "demo.db"), o => o.ProgressJournalInterval = TimeSpan.FromSeconds(1))
            .BuildServiceProvider();
        return new MigrationLab(lab, services, dbDir);
    }

    /// <summary>Defines the VM, creates its disks on the source with random content and, for replicated disks, the replica on the target.</summary>
    public async Task CreateVmAsync(string vmId, IReadOnlyList<(DiskKind Kind, long Size)> disks, CancellationToken ct)
    {
        await Lab.AddVmAsync(Lab.DefineVm(vmId, disks), ct);
        await Lab.CreateDisksAsync(vmId, Source, ct);
        for (var i = 0; i < disks.Count; i++)
        {
            var disk = Lab.Inventory.ResolveDisk(vmId, $"drive{i}", Source);
            await DiskContent.FillRandomAsync(disk.Path, 0, disks[i].Size, ct);
            if (disks[i].Kind != DiskKind.Replicated) continue;
            await Lab.Zfs(Source).SnapshotAsync(disk.Dataset!, "repl-0", ct);
            await new NodePipe().RunAsync(Local, new NodeCommand("zfs", "send", $"{disk.Dataset}@repl-0"),
                Local, new NodeCommand("zfs", "recv", "-F", Lab.Inventory.ResolveDisk(vmId, $"drive{i}", Target).Dataset!), cancellationToken: ct);
        }
    }

    /// <summary>Writes random data into <paramref name="length"/> bytes of the source disk, in 64 KiB blocks at random offsets (what the guest changed since the last replication).</summary>
    public async Task DirtyAsync(string vmId, int disk, long length, CancellationToken ct)
    {
        var resolved = Lab.Inventory.ResolveDisk(vmId, $"drive{disk}", Source);
        var block = new byte[64 * 1024];
        await using var fs = new FileStream(resolved.Path, FileMode.Open, FileAccess.Write);
        var blocks = resolved.SizeBytes / block.Length;
        var random = new Random(7);
        for (long done = 0; done < length; done += block.Length)
        {
            random.NextBytes(block);
            fs.Position = random.NextInt64(0, blocks) * block.Length;
            await fs.WriteAsync(block, ct);
        }
    }

    public async Task StartVmAsync(string vmId, CancellationToken ct)
    {
        // QEMU serves one QMP client at a time: drop the lab's connection, the migration's pool takes over.
        await using var qmp = await Lab.StartVmAsync(vmId, Source, cancellationToken: ct);
    }

    public async Task<GuestLikeWriter> StartWriterAsync(string vmId, IReadOnlyList<(string Drive, long Size)> drives, CancellationToken ct)
    {
        var session = await Pool.GetAsync(Lab.Inventory.RuntimePaths(vmId, Source).QmpSocket, ct);
        var writer = new GuestLikeWriter(session, drives, TimeSpan.FromMilliseconds(20));
        writer.Start();
        return writer;
    }

    /// <summary>Starts the shipped workflow for <paramref name="vmId"/> (source to target) and returns the instance id.</summary>
    /// <summary>Starts the procedure for <paramref name="vmId"/> from lab-a to lab-b; <paramref name="diskBandwidth"/>
    /// (bytes per second, 0 = unlimited) is the procedures' <c>DiskBandwidth</c> input.</summary>
    public async Task<string> StartMigrationAsync(string workflowFile, string vmId, CancellationToken ct, long diskBandwidth = 0)
    {
        var json = await File.ReadAllTextAsync(workflowFile, ct);
        var definition = Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(json);
        var inputs = new Dictionary<string, JsonNode?>
        {
            ["VmId"] = vmId, ["SourceNode"] = Source, ["TargetNode"] = Target, ["Inventory"] = Lab.InventoryPath,
            ["DiskBandwidth"] = diskBandwidth,
        };
        return await Services.GetRequiredService<IWorkflowRuntime>().StartAsync(definition, inputs, cancellationToken: ct);
    }

    public Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId, CancellationToken ct) =>
        Services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);

    /// <summary><c>qemu-img compare</c> (O_DIRECT, force-share) of a disk on both nodes.</summary>
    public async Task<string> CompareAsync(string vmId, int disk, CancellationToken ct)
    {
        var a = Lab.Inventory.ResolveDisk(vmId, $"drive{disk}", Source).Path;
        var b = Lab.Inventory.ResolveDisk(vmId, $"drive{disk}", Target).Path;
        var r = await Local.TryRunAsync(new NodeCommand("qemu-img", "compare", "-U", "-T", "none", "-f", "raw", "-F", "raw", a, b), ct);
        return (r.StandardOutput + r.StandardError).Trim();
    }

    /// <summary>Locates a file of the repository (the CLI runs from artifacts/cli).</summary>
    public static string FindRepositoryFile(string relative)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {Environment.CurrentDirectory}: run from the repository (./elsa-migrate ...).");
    }

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
