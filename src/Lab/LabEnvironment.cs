using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Zfs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elsa.Migration.Lab;

/// <summary>Sizes and names of a lab.</summary>
public sealed record LabOptions
{
    /// <summary>Simulated node names (one pool and one QMP socket dir each).</summary>
    public IReadOnlyList<string> NodeNames { get; init; } = ["lab-a", "lab-b"];

    /// <summary>Size of each node's sparse pool file.</summary>
    public long PoolSizeBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Parent of the lab directory.</summary>
    public string BaseDirectory { get; init; } = "/tmp";

    /// <summary>Storage id of each node's pool in the inventory.</summary>
    public string StorageId { get; init; } = "lab-zfs";

    /// <summary>
    /// Edits a node's inventory entry before the file is written, e.g. an <c>ssh</c> transport to a loopback sshd and a
    /// <c>migrationAddress</c> of 127.0.0.1: the node is still this machine, but everything reaches it as a remote node.
    /// </summary>
    public Func<NodeDefinition, NodeDefinition>? ConfigureNode { get; init; }
}

/// <summary>
/// Simulated nodes on one machine for tests and the demo: a zfs-fuse pool per node from a sparse file (unique
/// names per lab), a QMP socket dir per node, and the inventory file that describes them. Tracks what it started
/// and tears all of it down (QEMUs, pools, files); teardown is safe to call twice.
/// </summary>
public sealed class LabEnvironment : IAsyncDisposable
{
    private static readonly TimeSpan PoolBusyPatience = TimeSpan.FromMinutes(3);
    private readonly ILogger _logger;
    private readonly NodeExecutor _local;
    private readonly HashSet<(string Node, string Vm)> _started = [];
    private readonly LabOptions _options;
    private int _tornDown;

    private LabEnvironment(string directory, string suffix, LabOptions options, ILogger logger)
    {
        Directory = directory;
        Suffix = suffix;
        _options = options;
        _logger = logger;
        _local = NodeExecutor.Local("localhost", logger);
        Inventory = new SiteInventory
        {
            Nodes = options.NodeNames.Select(n => new NodeDefinition
            {
                Name = n,
                Transport = new TransportDefinition { Kind = "local" },
                QmpSocketDir = $"{directory}/{n}/run",
                Storages = [new StorageDefinition { Id = options.StorageId, Layout = "files", Pool = PoolName(n), Mountpoint = $"{directory}/{n}/mnt" }],
            }).Select(n => options.ConfigureNode?.Invoke(n) ?? n).ToList(),
            Vms = [],
        };
    }

    /// <summary>The lab directory (everything the lab creates is below it).</summary>
    public string Directory { get; }

    /// <summary>Random suffix making pool names unique.</summary>
    public string Suffix { get; }

    /// <summary>Path of the inventory file.</summary>
    public string InventoryPath => Path.Combine(Directory, "inventory.json");

    /// <summary>The current inventory (also written to <see cref="InventoryPath"/>).</summary>
    public SiteInventory Inventory { get; private set; }

    /// <summary>Node names.</summary>
    public IReadOnlyList<string> NodeNames => _options.NodeNames;

    /// <summary>The pool of a node.</summary>
    public string PoolName(string node) => $"elsalab-{Suffix}-{node}";

    /// <summary>A ZFS driver for a node.</summary>
    public ZfsDriver Zfs(string node) => new(Inventory.CreateExecutor(node, _logger), _logger);

    /// <summary>Creates the lab: ensures zfs-fuse runs, creates one pool per node, writes the inventory.</summary>
    public static async Task<LabEnvironment> CreateAsync(LabOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        options ??= new LabOptions();
        logger ??= NullLogger.Instance;
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var dir = Path.Combine(options.BaseDirectory, "elsa-lab-" + suffix);
        var lab = new LabEnvironment(dir, suffix, options, logger);
        try
        {
            System.IO.Directory.CreateDirectory(dir);
            await new ZfsFuseDaemon(logger).EnsureRunningAsync("/tmp/elsa-zfs-fuse.pid", cancellationToken).ConfigureAwait(false);
            foreach (var node in options.NodeNames)
            {
                var image = $"{dir}/{node}/pool.img";
                System.IO.Directory.CreateDirectory($"{dir}/{node}/mnt");
                System.IO.Directory.CreateDirectory($"{dir}/{node}/run");
                await using (var fs = new FileStream(image, FileMode.CreateNew)) fs.SetLength(options.PoolSizeBytes);
                await lab._local.RunAsync(new NodeCommand("zpool", "create", "-m", $"{dir}/{node}/mnt", lab.PoolName(node), image), cancellationToken).ConfigureAwait(false);
            }
            await lab.Inventory.SaveAsync(lab.InventoryPath, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Lab {Dir} ready with nodes {Nodes}", dir, string.Join(", ", options.NodeNames));
            return lab;
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A VM definition with the lab's storage: raw disks named drive0.., node-names disk0.., devices vd0...</summary>
    public VmDefinition DefineVm(string vmId, params IEnumerable<(DiskKind Kind, long SizeBytes)> disks) => new()
    {
        Id = vmId,
        Qemu = new QemuProfile { Machine = "pc", MemoryMiB = 128, Cpus = 1, Accel = "tcg" },
        Disks = disks.Select((d, i) => new DiskDefinition
        {
            Id = $"drive{i}",
            DeviceId = d.Kind == DiskKind.Unused ? null : $"vd{i}",
            NodeName = d.Kind == DiskKind.Unused ? null : $"disk{i}",
            Kind = d.Kind.ToString().ToLowerInvariant(),
            Storage = _options.StorageId,
            Volume = $"{vmId}-disk-{i}",
            SizeBytes = d.SizeBytes,
        }).ToList(),
    };

    /// <summary>Adds (or replaces) a VM in the inventory and rewrites the file.</summary>
    public async Task AddVmAsync(VmDefinition vm, CancellationToken cancellationToken = default)
    {
        var updated = Inventory with { Vms = [.. Inventory.Vms.Where(v => v.Id != vm.Id), vm] };
        await updated.SaveAsync(InventoryPath, cancellationToken).ConfigureAwait(false);
        Inventory = updated;
    }

    /// <summary>Creates the VM's disks on the node: a dataset per disk with a sparse raw file of the disk's size.</summary>
    public async Task CreateDisksAsync(string vmId, string node, CancellationToken cancellationToken = default)
    {
        var zfs = Zfs(node);
        foreach (var disk in Inventory.ResolveDisks(vmId, node))
        {
            if (!await zfs.ExistsAsync(disk.Dataset!, cancellationToken).ConfigureAwait(false))
                await zfs.CreateDatasetAsync(disk.Dataset!, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var fs = new FileStream(disk.Path, FileMode.OpenOrCreate);
            fs.SetLength(disk.SizeBytes);
        }
    }

    /// <summary>Starts the VM's QEMU on the node and connects to its QMP socket.</summary>
    public async Task<QmpClient> StartVmAsync(string vmId, string node, bool incoming = false, CancellationToken cancellationToken = default)
    {
        var manager = new QemuVmManager(Inventory, _logger);
        lock (_started) _started.Add((node, vmId));
        var status = await manager.StartAsync(node, vmId, new QemuStartOptions { Incoming = incoming }, cancellationToken).ConfigureAwait(false);
        // Direct on a local node, ssh + socat on a node reached over SSH.
        return await QmpConnector.ConnectAsync(Inventory.GetNode(node), status.QmpSocket, new QmpClientOptions { Name = $"{node}/{vmId}" }, _logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the VM's QEMU on the node (no-op when it is not running).</summary>
    public Task<bool> StopVmAsync(string vmId, string node, CancellationToken cancellationToken = default) =>
        new QemuVmManager(Inventory, _logger).StopAsync(node, vmId, cancellationToken: cancellationToken);

    /// <summary>Kills the lab's QEMUs, destroys its pools (with retry), deletes its directory. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _tornDown, 1) == 1) return;
        var errors = new List<Exception>();
        (string Node, string Vm)[] started;
        lock (_started) started = [.. _started];
        // Also VMs started for this lab's inventory by other means (e.g. `vm start`): their pid files are in our dirs.
        started = [.. started.Union(Inventory.Vms.SelectMany(v => _options.NodeNames.Select(n => (n, v.Id))))];
        foreach (var (node, vm) in started)
        {
            try
            {
                await StopVmAsync(vm, node).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }
        foreach (var node in _options.NodeNames)
        {
            var pool = PoolName(node);
            var exists = await _local.TryRunAsync(new NodeCommand("zpool", "list", "-H", "-o", "name", pool)).ConfigureAwait(false);
            if (!exists.Succeeded) continue;
            // zpool destroy fails with 'busy' for a moment after a mount or receive (facts doc): keep trying for a while
            // (minutes were seen when a pipe to a failed receive's zfs send was left open; NodePipe now closes it).
            var giveUpAt = DateTimeOffset.UtcNow + PoolBusyPatience;
            for (var attempt = 1; ; attempt++)
            {
                var destroy = await _local.TryRunAsync(new NodeCommand("zpool", "destroy", "-f", pool)).ConfigureAwait(false);
                if (destroy.Succeeded) break;
                if (DateTimeOffset.UtcNow >= giveUpAt)
                {
                    errors.Add(new InvalidOperationException($"zpool destroy {pool} still failed after {attempt} attempts in {PoolBusyPatience.TotalSeconds:0} s: {destroy.StandardError.Trim()}"));
                    break;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200 * attempt, 2000))).ConfigureAwait(false);
            }
        }
        try
        {
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException ex)
        {
            errors.Add(ex);
        }
        if (errors.Count > 0) throw new AggregateException($"Lab teardown of {Directory} left something behind", errors);
        _logger.LogInformation("Lab {Dir} torn down", Directory);
    }

}
