using System.Reflection;
using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Migration;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Model;
using Elsa.Migration.Engine.Persistence;
using Elsa.Migration.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Elsa.Migration.Activities.Migration.Ledger;
using Elsa.Migration.Activities.Qemu;

namespace Elsa.Migration.Lab;

/// <summary>What a <see cref="MigrationLab"/> is built with, beyond the lab's own <see cref="LabOptions"/>.</summary>
public sealed record MigrationLabOptions
{
    /// <summary>The two-node lab (pool size, nodes reached over SSH...).</summary>
    public LabOptions Lab { get; init; } = new();

    /// <summary>The engine's <see cref="MigrationEngineOptions.ProgressJournalInterval"/>.</summary>
    public TimeSpan ProgressJournalInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Activity assemblies beyond the VmMigration ones (e.g. the tests' fault-injection activities).</summary>
    public IReadOnlyList<Assembly> ActivityAssemblies { get; init; } = [];

    /// <summary>The runtime's SQLite file; null: a throw-away file inside the lab directory. A file given here outlives the
    /// lab, so the journals of its migrations can be read afterwards (<c>show ID --db FILE</c>).</summary>
    public string? DatabasePath { get; init; }

    /// <summary>The engine's clock; null: the system clock.</summary>
    public TimeProvider? Time { get; init; }
}

/// <summary>The result of <c>qemu-img compare</c>: exit code 0 means identical.</summary>
public sealed record ImageComparison(bool Identical, string Output);

/// <summary>
/// The two-node lab with a migration runtime, what the demo, the migration benchmark and the integration tests run on:
/// real zfs-fuse pools, real QEMU (TCG), the real runtime (<see cref="MigrationServices.AddMigrationRuntime"/>) on a
/// throw-away SQLite file inside the lab directory, and the VmMigration activities. Everything it creates goes away on dispose.
/// </summary>
public sealed class MigrationLab : IAsyncDisposable
{
    /// <summary>The lab's node names: migrations go from <see cref="Source"/> to <see cref="Target"/>.</summary>
    public const string Source = "lab-a", Target = "lab-b";

    /// <summary>The name the lab's inventory is registered under in the runtime's site catalog (<see cref="LabSiteCatalog"/>).</summary>
    public const string SiteName = LabSiteCatalog.SiteName;

    private static readonly string[] RequiredTools = ["qemu-system-x86_64", "qemu-img", "zfs-fuse", "zfs", "zpool"];

    private MigrationLab(LabEnvironment lab, ServiceProvider services)
    {
        Lab = lab;
        Services = services;
    }

    /// <summary>The pools, inventory and QEMUs.</summary>
    public LabEnvironment Lab { get; }

    /// <summary>The migration runtime's services.</summary>
    public ServiceProvider Services { get; }

    public IWorkflowRuntime Runtime => Services.GetRequiredService<IWorkflowRuntime>();

    /// <summary>The QMP sessions the migration's activities share.</summary>
    public QmpSessionPool Pool => Services.GetRequiredService<QmpSessionPool>();

    /// <summary>This machine (the lab's pools are local whatever transport the inventory gives the nodes).</summary>
    public NodeExecutor Local { get; } = NodeExecutor.Local("localhost");

    /// <summary>A lab node as the inventory reaches it (local, or over SSH).</summary>
    public NodeExecutor Node(string name) => Lab.Inventory.CreateExecutor(name);

    /// <summary>Disk <c>drive{index}</c> of the VM on a node.</summary>
    public ResolvedDisk Disk(string vmId, int index, string node) => Lab.Inventory.ResolveDisk(vmId, $"drive{index}", node);

    /// <summary>A lab with pools of <paramref name="poolSizeBytes"/> and the default runtime settings.</summary>
    public static Task<MigrationLab> CreateAsync(long poolSizeBytes, CancellationToken ct) =>
        CreateAsync(new MigrationLabOptions { Lab = new LabOptions { PoolSizeBytes = poolSizeBytes } }, ct);

    /// <summary>Builds the lab and the runtime; fails with what to install when a tool is missing.</summary>
    public static async Task<MigrationLab> CreateAsync(MigrationLabOptions options, CancellationToken ct)
    {
        foreach (var tool in RequiredTools)
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, tool))))
                throw new InvalidOperationException($"'{tool}' is missing: run ./scripts/setup.sh (or ./elsa-migrate demo, which runs it).");
        var lab = await LabEnvironment.CreateAsync(options.Lab, cancellationToken: ct);
        try
        {
            var collection = new ServiceCollection();
            if (options.Time is not null) collection.AddSingleton(options.Time); // the engine only adds the system clock when none is registered
            var services = collection
                .AddMigrationRuntime(options.DatabasePath ?? Path.Combine(lab.Directory, "runtime.db"), o =>
                {
                    o.ProgressJournalInterval = options.ProgressJournalInterval;
                    foreach (var assembly in options.ActivityAssemblies) o.ActivityAssemblies.Add(assembly);
                })
                .AddSingleton<ISiteCatalog>(new LabSiteCatalog(lab))
                .AddSingleton<Activities.Migration.Preflight.IMigrationAdmissionQuery, LabAdmission>()
                .AddSingleton<Activities.Migration.Preflight.ILinkRates, LabLinkRates>()
                .BuildServiceProvider();
            return new MigrationLab(lab, services);
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Defines the VM, creates its disks on the source with random content and, for replicated disks, the replica on the target.</summary>
    public async Task CreateVmAsync(string vmId, IReadOnlyList<(DiskKind Kind, long Size)> disks, CancellationToken ct)
    {
        await Lab.AddVmAsync(Lab.DefineVm(vmId, disks), ct);
        await Lab.CreateDisksAsync(vmId, Source, ct);
        for (var i = 0; i < disks.Count; i++)
        {
            await DiskContent.FillRandomAsync(Disk(vmId, i, Source).Path, 0, disks[i].Size, ct);
            if (disks[i].Kind == DiskKind.Replicated) await ReplicateAsync(vmId, i, ct);
        }
    }

    /// <summary>The site's earlier replication of a disk: snapshot <c>repl-0</c> on the source, full <c>zfs send | recv</c> to the target.</summary>
    public async Task ReplicateAsync(string vmId, int disk, CancellationToken ct)
    {
        var dataset = Disk(vmId, disk, Source).Dataset!;
        await Lab.Zfs(Source).SnapshotAsync(dataset, "repl-0", ct);
        await new NodePipe().RunAsync(Local, new NodeCommand("zfs", "send", $"{dataset}@repl-0"),
            Local, new NodeCommand("zfs", "recv", "-F", Disk(vmId, disk, Target).Dataset!), cancellationToken: ct);
    }

    /// <summary>Writes random data into <paramref name="length"/> bytes of the source disk, in 64 KiB blocks at random offsets (what the guest changed since the last replication).</summary>
    public async Task DirtyAsync(string vmId, int disk, long length, CancellationToken ct)
    {
        var resolved = Disk(vmId, disk, Source);
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

    /// <summary>
    /// Waits until ZFS accounts for the bytes overwritten since the replica of disk <paramref name="disk"/> (the
    /// <c>used</c> of its newest snapshot on the source): what Preflight's stream estimate reads on zfs-fuse. zfs-fuse
    /// counts an overwritten block into the snapshot only when its deferred free is processed, up to ~30 s after the
    /// write (measured: 17.9 MB shown for 25 s, then 21.4 MB, for a 21.3 MB stream); each transaction group moves the
    /// frees along, and a snapshot forces one. A site's writes since its last replication are long settled; the lab's are
    /// seconds old, so it forces the groups a site's time would have passed.
    /// </summary>
    public async Task WaitForSnapshotSpaceAsync(string vmId, int disk, long bytes, CancellationToken ct)
    {
        await Local.RunAsync(new NodeCommand("sync"), ct);
        var dataset = Disk(vmId, disk, Source).Dataset!;
        var pool = dataset.Split('/')[0];
        var zfs = Lab.Zfs(Source);
        long used = 0;
        for (var group = 0; group < 3; group++)
        {
            await zfs.SnapshotAsync(pool, "lab-txg", ct);
            await zfs.DestroyAsync($"{pool}@lab-txg", cancellationToken: ct);
            used = (await zfs.ListSnapshotsAsync(dataset, ct))[^1].Used;
        }
        if (used < bytes)
            throw new InvalidOperationException($"zfs accounts {used} bytes overwritten in {dataset} since its last snapshot, fewer than the {bytes} written.");
    }

    /// <summary>Starts the VM's QEMU on the source.</summary>
    public async Task StartVmAsync(string vmId, CancellationToken ct)
    {
        // QEMU serves one QMP client at a time: drop the lab's connection, the migration's pool takes over.
        await using var qmp = await Lab.StartVmAsync(vmId, Source, cancellationToken: ct);
    }

    /// <summary>The migration's QMP session of the VM on a node (shared with the activities through the pool).</summary>
    public Task<QmpSession> SessionAsync(string vmId, string node, CancellationToken ct) =>
        Pool.GetAsync(Node(node), Lab.Inventory.RuntimePaths(vmId, node).QmpSocket, ct);

    /// <summary>Starts a guest-like writer on the given drives of the VM running on the source, one write every
    /// <paramref name="pause"/> or at a steady <paramref name="bytesPerSecond"/>.</summary>
    public async Task<GuestLikeWriter> StartWriterAsync(string vmId, IReadOnlyList<(string Drive, long Size)> drives, CancellationToken ct, TimeSpan? pause = null,
        long? bytesPerSecond = null)
    {
        var writer = new GuestLikeWriter(await SessionAsync(vmId, Source, ct), drives, pause, bytesPerSecond);
        writer.Start();
        return writer;
    }

    /// <summary>
    /// Starts <paramref name="workflowJson"/> for <paramref name="vmId"/> from <see cref="Source"/> to <see cref="Target"/>
    /// (or <paramref name="from"/> to <paramref name="to"/>) and returns the instance id; <paramref name="diskBandwidth"/> (bytes per second, 0 = unlimited) is the procedures'
    /// <c>DiskBandwidth</c> input, left out when null; <paramref name="keepSourceLocalDisks"/> the shipped procedures'
    /// <c>KeepSourceLocalDisks</c> (to compare a local disk's source copy with the target's afterwards).
    /// </summary>
    public async Task<string> StartMigrationAsync(string workflowJson, string vmId, CancellationToken ct, long? diskBandwidth = null,
        string from = Source, string to = Target, bool keepSourceLocalDisks = false)
    {
        var definition = Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(workflowJson);
        var inputs = new Dictionary<string, JsonNode?>
        {
            ["VmId"] = vmId,
            ["SourceNode"] = from,
            ["TargetNode"] = to,
            ["Site"] = SiteName,
        };
        if (diskBandwidth is { } bandwidth) inputs["DiskBandwidth"] = bandwidth;
        if (keepSourceLocalDisks) inputs["KeepSourceLocalDisks"] = true;
        return await Runtime.StartAsync(definition, inputs, cancellationToken: ct);
    }

    /// <summary>Starts the migration (by default <see cref="Source"/> to <see cref="Target"/>) and waits for its end.</summary>
    public async Task<(string InstanceId, WorkflowStatus Status)> RunMigrationAsync(string workflowJson, string vmId, CancellationToken ct,
        string from = Source, string to = Target)
    {
        var id = await StartMigrationAsync(workflowJson, vmId, ct, from: from, to: to);
        return (id, await Runtime.WaitForEndAsync(id, ct));
    }

    public Task<IReadOnlyList<JournalEntry>> JournalAsync(string instanceId, CancellationToken ct) =>
        Services.GetRequiredService<IJournalStore>().ReadAsync(instanceId, 0, 100_000, ct);

    public Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string instanceId, CancellationToken ct) =>
        Services.GetRequiredService<ILedgerStore>().ListAsync(instanceId, ct);

    /// <summary>Names of the snapshots of a dataset on a node, oldest first.</summary>
    public async Task<IReadOnlyList<string>> SnapshotsAsync(string node, string dataset, CancellationToken ct) =>
        (await Lab.Zfs(node).ListSnapshotsAsync(dataset, ct)).Select(s => s.Name).ToList();

    /// <summary><c>qemu-img compare</c> of two raw images, O_DIRECT (stale page cache after a zfs recv) and force-share (a QEMU may hold it).</summary>
    public async Task<ImageComparison> CompareAsync(string a, string b, CancellationToken ct)
    {
        var r = await Local.TryRunAsync(new NodeCommand("qemu-img", "compare", "-U", "-T", "none", "-f", "raw", "-F", "raw", a, b), ct);
        return new ImageComparison(r.Succeeded, (r.StandardOutput + r.StandardError).Trim());
    }

    /// <summary>Where the source's copy of disk <paramref name="disk"/> is once a migration kept it (<c>KeepSourceLocalDisks</c>): its dataset renamed.</summary>
    public string KeptSourcePath(string vmId, int disk, string instanceId)
    {
        var source = Disk(vmId, disk, Source);
        var datasetDirectory = Path.GetDirectoryName(source.Path)!;
        return Path.Combine(Path.GetDirectoryName(datasetDirectory)!, Ownership.KeptName(Path.GetFileName(datasetDirectory), instanceId), Path.GetFileName(source.Path));
    }

    /// <summary><c>qemu-img compare</c> of a disk on both nodes.</summary>
    public Task<ImageComparison> CompareAsync(string vmId, int disk, CancellationToken ct) =>
        CompareAsync(Disk(vmId, disk, Source).Path, Disk(vmId, disk, Target).Path, ct);

    /// <summary>Locates a file of the repository (the CLI runs from artifacts/cli, tests from their bin directory).</summary>
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
        // The pool first (its sessions hold QMP relays), the runtime (and its SQLite file) before the lab deletes its directory.
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
            }
        }
    }
}
