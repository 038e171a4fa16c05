using System.Text.Json;
using System.Text.Json.Serialization;
using Elsa.Migration.Activities.Nodes;
using Microsoft.Extensions.Logging;

namespace Elsa.Migration.Activities.Inventory;

/// <summary>The site inventory file is malformed or describes an inconsistent site. <see cref="Problems"/> lists every problem.</summary>
public sealed class InventoryException : Exception
{
    public InventoryException(string source, IReadOnlyList<string> problems, Exception? inner = null)
        : base($"Inventory {source} is invalid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" + Environment.NewLine +
               string.Join(Environment.NewLine, problems.Select(p => "  - " + p)), inner)
    {
        Problems = problems;
    }

    private InventoryException(string message, string problem) : base(message) => Problems = [problem];

    /// <summary>A lookup of something the inventory does not define (message lists what it does define).</summary>
    public static InventoryException NotFound(string problem) => new($"Not in the inventory: {problem}", problem);

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// The site inventory: nodes and VMs, loaded from a JSON file and validated as a whole (every problem reported at once).
/// Also answers where a VM disk lives on a node and how to run commands there.
/// </summary>
public sealed record SiteInventory
{
    /// <summary>JSON options of the inventory file (camelCase, comments and trailing commas allowed).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public IReadOnlyList<NodeDefinition> Nodes { get; init; } = [];
    public IReadOnlyList<VmDefinition> Vms { get; init; } = [];

    /// <summary>Reads and validates an inventory file; throws <see cref="InventoryException"/> listing every problem.</summary>
    public static async Task<SiteInventory> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        string json;
        try
        {
            json = await Engine.Files.OperatorFile.ReadTextAsync(path, "inventory", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Engine.Files.OperatorFile.IsUnreadable(ex))
        {
            throw new InventoryException($"'{path}'", [$"cannot read the file: {ex.Message}"], ex);
        }
        return Parse(json, $"'{path}'");
    }

    /// <summary>Parses and validates inventory JSON.</summary>
    public static SiteInventory Parse(string json, string source = "(text)")
    {
        SiteInventory? inventory;
        try
        {
            inventory = JsonSerializer.Deserialize<SiteInventory>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InventoryException(source, [$"JSON error at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1} ({ex.Path}): {ex.Message}"], ex);
        }
        if (inventory is null) throw new InventoryException(source, ["the file is empty or 'null'"]);
        var problems = InventoryValidator.Validate(inventory);
        if (problems.Count > 0) throw new InventoryException(source, problems);
        return inventory;
    }

    /// <summary>Serializes to the file format.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes the file (validated first).</summary>
    public async Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        var problems = InventoryValidator.Validate(this);
        if (problems.Count > 0) throw new InventoryException($"'{path}'", problems);
        await File.WriteAllTextAsync(path, ToJson(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The node named <paramref name="name"/>, or an <see cref="InventoryException"/> listing the known ones.</summary>
    public NodeDefinition GetNode(string name) =>
        Nodes.FirstOrDefault(n => n.Name == name)
        ?? throw InventoryException.NotFound($"unknown node '{name}'; known nodes: {string.Join(", ", Nodes.Select(n => n.Name))}");

    /// <summary>The VM with id <paramref name="vmId"/>, or an <see cref="InventoryException"/> listing the known ones.</summary>
    public VmDefinition GetVm(string vmId) =>
        Vms.FirstOrDefault(v => v.Id == vmId)
        ?? throw InventoryException.NotFound($"unknown VM '{vmId}'; known VMs: {string.Join(", ", Vms.Select(v => v.Id))}");

    /// <summary>A command executor for the node (local or SSH, per its transport).</summary>
    public NodeExecutor CreateExecutor(string nodeName, ILogger? logger = null) => GetNode(nodeName).CreateExecutor(logger);

    /// <summary>A connector to UNIX sockets (QMP, guest agent) on the node: direct when local, through ssh + socat otherwise.</summary>
    public NodeSocketConnector CreateSocketConnector(string nodeName, ILogger? logger = null) => GetNode(nodeName).CreateSocketConnector(logger);

    /// <summary>Where disk <paramref name="diskId"/> of VM <paramref name="vmId"/> lives on node <paramref name="nodeName"/>.</summary>
    public ResolvedDisk ResolveDisk(string vmId, string diskId, string nodeName)
    {
        var vm = GetVm(vmId);
        var node = GetNode(nodeName);
        var disk = vm.Disks.FirstOrDefault(d => d.Id == diskId)
            ?? throw InventoryException.NotFound($"VM '{vmId}' has no disk '{diskId}'; its disks: {string.Join(", ", vm.Disks.Select(d => d.Id))}");
        var storage = node.Storages.FirstOrDefault(s => s.Id == disk.Storage)
            ?? throw InventoryException.NotFound($"node '{nodeName}' has no storage '{disk.Storage}' (disk '{diskId}' of VM '{vmId}')");
        var kind = InventoryValidator.ParseKind(disk.Kind)!.Value;
        return storage.Layout switch
        {
            "files" => new ResolvedDisk(vm.Id, disk.Id, node.Name, kind, $"{storage.Mountpoint!.TrimEnd('/')}/{disk.Volume}/{disk.File}",
                $"{storage.Pool}/{disk.Volume}", storage.Layout, disk.Format, disk.SizeBytes),
            "zvol" => new ResolvedDisk(vm.Id, disk.Id, node.Name, kind, $"/dev/zvol/{storage.Pool}/{disk.Volume}",
                $"{storage.Pool}/{disk.Volume}", storage.Layout, disk.Format, disk.SizeBytes),
            _ => new ResolvedDisk(vm.Id, disk.Id, node.Name, kind, $"{storage.Mountpoint!.TrimEnd('/')}/{disk.Volume}",
                null, storage.Layout, disk.Format, disk.SizeBytes),
        };
    }

    /// <summary>Every disk of the VM resolved on the node, in inventory order.</summary>
    public IReadOnlyList<ResolvedDisk> ResolveDisks(string vmId, string nodeName) =>
        GetVm(vmId).Disks.Select(d => ResolveDisk(vmId, d.Id, nodeName)).ToList();

    /// <summary>The VM's sockets and files on the node.</summary>
    public VmRuntimePaths RuntimePaths(string vmId, string nodeName)
    {
        var dir = GetNode(nodeName).QmpSocketDir.TrimEnd('/');
        var vm = GetVm(vmId).Id;
        return new VmRuntimePaths($"{dir}/{vm}.qmp", $"{dir}/{vm}.pid", $"{dir}/{vm}.nbd", $"{dir}/{vm}.migrate", $"{dir}/{vm}.serial.log", $"{dir}/{vm}.qga");
    }
}
