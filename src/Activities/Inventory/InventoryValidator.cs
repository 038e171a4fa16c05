using System.Text.RegularExpressions;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Inventory;

/// <summary>Checks a whole inventory and returns every problem, each with its location (e.g. <c>vms[0].disks[1].storage</c>).</summary>
public static partial class InventoryValidator
{
    private static readonly string[] Layouts = ["files", "zvol", "directory"];

    /// <summary>Every problem found; empty when the inventory is valid.</summary>
    public static IReadOnlyList<string> Validate(SiteInventory inventory)
    {
        var problems = new List<string>();
        if (inventory.Nodes is null || inventory.Nodes.Count == 0) problems.Add("nodes: at least one node is required");
        if (inventory.Vms is null) problems.Add("vms: must be a list (may be empty)");
        var nodes = inventory.Nodes ?? [];
        var vms = inventory.Vms ?? [];

        Duplicates(nodes.Select(n => n.Name), "nodes", "node name", problems);
        for (var i = 0; i < nodes.Count; i++) ValidateNode(nodes[i], $"nodes[{i}]", problems);

        Duplicates(vms.Select(v => v.Id), "vms", "VM id", problems);
        for (var i = 0; i < vms.Count; i++) ValidateVm(vms[i], $"vms[{i}]", nodes, problems);
        return problems;
    }

    internal static DiskKind? ParseKind(string? kind) => kind switch
    {
        "shared" => DiskKind.Shared,
        "local" => DiskKind.Local,
        "replicated" => DiskKind.Replicated,
        "unused" => DiskKind.Unused,
        _ => null,
    };

    private static void ValidateNode(NodeDefinition node, string at, List<string> problems)
    {
        if (!NameRules.IsNodeName(node.Name)) problems.Add($"{at}.name: '{node.Name}' is not a valid node name (lowercase letter, then lowercase letters, digits, '-')");
        if (!NameRules.IsSafeAbsolutePath(node.QmpSocketDir)) problems.Add($"{at}.qmpSocketDir: '{node.QmpSocketDir}' must be a safe absolute path");
        if (node.MigrationAddress is not null && NetworkAddress.Problem(node.MigrationAddress) is { } addressProblem)
            problems.Add($"{at}.migrationAddress: '{node.MigrationAddress}' {addressProblem}");
        var t = node.Transport ?? new TransportDefinition();
        switch (t.Kind)
        {
            case "local":
                break;
            case "ssh":
                var endpoint = new SshEndpoint(t.Host ?? "", t.Port, t.User ?? "", t.IdentityFile ?? "", t.KnownHostsFile ?? "");
                problems.AddRange(endpoint.Validate().Select(p => $"{at}.transport: {p}"));
                break;
            default:
                problems.Add($"{at}.transport.kind: '{t.Kind}' is not 'local' or 'ssh'");
                break;
        }
        var storages = node.Storages ?? [];
        Duplicates(storages.Select(s => s.Id), $"{at}.storages", "storage id", problems);
        for (var i = 0; i < storages.Count; i++)
        {
            var s = storages[i];
            var sat = $"{at}.storages[{i}]";
            if (!IdRegex().IsMatch(s.Id ?? "")) problems.Add($"{sat}.id: '{s.Id}' is not a valid storage id (lowercase letters, digits, '-')");
            if (!Layouts.Contains(s.Layout)) problems.Add($"{sat}.layout: '{s.Layout}' is not one of {string.Join(", ", Layouts)}");
            if (s.Layout is "files" or "zvol" && !NameRules.IsDatasetName(s.Pool)) problems.Add($"{sat}.pool: '{s.Pool}' is not a valid ZFS dataset name");
            if (s.Layout is "files" or "directory" && !NameRules.IsSafeAbsolutePath(s.Mountpoint)) problems.Add($"{sat}.mountpoint: '{s.Mountpoint}' must be a safe absolute path");
        }
    }

    private static void ValidateVm(VmDefinition vm, string at, IReadOnlyList<NodeDefinition> nodes, List<string> problems)
    {
        if (!NameRules.IsVmId(vm.Id)) problems.Add($"{at}.id: '{vm.Id}' is not a valid VM id (letters, digits, '_', '-'; not starting with '-')");
        var q = vm.Qemu ?? new QemuProfile();
        if (!MachineRegex().IsMatch(q.Machine ?? "")) problems.Add($"{at}.qemu.machine: '{q.Machine}' is not a valid machine type");
        if (q.MemoryMiB is < 16 or > 4 * 1024 * 1024) problems.Add($"{at}.qemu.memoryMiB: {q.MemoryMiB} is out of range 16-4194304");
        if (q.Cpus is < 1 or > 512) problems.Add($"{at}.qemu.cpus: {q.Cpus} is out of range 1-512");
        if (q.Accel is not ("auto" or "tcg" or "kvm")) problems.Add($"{at}.qemu.accel: '{q.Accel}' is not auto, tcg or kvm");
        if (q.Kernel is not null && !NameRules.IsSafeAbsolutePath(q.Kernel)) problems.Add($"{at}.qemu.kernel: '{q.Kernel}' must be a safe absolute path");
        if (q.Initrd is not null && !NameRules.IsSafeAbsolutePath(q.Initrd)) problems.Add($"{at}.qemu.initrd: '{q.Initrd}' must be a safe absolute path");
        if (q.Initrd is not null && q.Kernel is null) problems.Add($"{at}.qemu.initrd: needs a kernel");
        if (q.Append is not null && (q.Kernel is null || q.Append.Any(char.IsControl))) problems.Add($"{at}.qemu.append: needs a kernel and no control characters");

        ValidateReplication(vm.Replication, $"{at}.replication", nodes, problems);
        var disks = vm.Disks ?? [];
        Duplicates(disks.Select(d => d.Id), $"{at}.disks", "disk id", problems);
        Duplicates(disks.Where(d => d.DeviceId is not null).Select(d => d.DeviceId!), $"{at}.disks", "device id", problems);
        Duplicates(disks.Where(d => d.NodeName is not null).Select(d => d.NodeName!), $"{at}.disks", "node-name", problems);
        for (var i = 0; i < disks.Count; i++)
        {
            var d = disks[i];
            var dat = $"{at}.disks[{i}]";
            var kind = ParseKind(d.Kind);
            if (kind is null) problems.Add($"{dat}.kind: '{d.Kind}' is not shared, local, replicated or unused");
            if (!NameRules.IsQemuId(d.Id)) problems.Add($"{dat}.id: '{d.Id}' is not a valid QEMU id (a letter, then letters, digits, '_', '-'; max 31)");
            if (kind is not DiskKind.Unused)
            {
                if (!NameRules.IsQemuId(d.DeviceId)) problems.Add($"{dat}.deviceId: '{d.DeviceId}' is not a valid QEMU id (required for attached disks)");
                if (!NameRules.IsQemuId(d.NodeName)) problems.Add($"{dat}.nodeName: '{d.NodeName}' is not a valid QEMU node name (required for attached disks)");
            }
            if (d.Format is not ("raw" or "qcow2")) problems.Add($"{dat}.format: '{d.Format}' is not raw or qcow2");
            if (d.SizeBytes <= 0 || d.SizeBytes % 512 != 0) problems.Add($"{dat}.sizeBytes: {d.SizeBytes} must be a positive multiple of 512");
            if (!NameRules.IsFileName(d.File)) problems.Add($"{dat}.file: '{d.File}' is not a valid file name");

            foreach (var node in nodes)
            {
                var storage = node.Storages?.FirstOrDefault(s => s.Id == d.Storage);
                if (storage is null)
                {
                    problems.Add($"{dat}.storage: storage '{d.Storage}' is not defined on node '{node.Name}'");
                    continue;
                }
                if (storage.Layout is "files" or "zvol" && !NameRules.IsDatasetName($"pool/{d.Volume}"))
                    problems.Add($"{dat}.volume: '{d.Volume}' is not a valid dataset name below pool '{storage.Pool}' (node '{node.Name}')");
                if (storage.Layout is "directory" && !NameRules.IsFileName(d.Volume))
                    problems.Add($"{dat}.volume: '{d.Volume}' is not a valid file name in directory storage '{storage.Id}' (node '{node.Name}')");
                if (kind is DiskKind.Replicated && storage.Layout is not ("files" or "zvol"))
                    problems.Add($"{dat}.kind: a replicated disk needs a ZFS storage (files or zvol), but '{storage.Id}' on node '{node.Name}' is '{storage.Layout}'");
                if (kind is DiskKind.Shared && storage.Layout is not "directory")
                    problems.Add($"{dat}.kind: a shared disk needs a directory storage shared by all nodes, but '{storage.Id}' on node '{node.Name}' is '{storage.Layout}'");
            }
        }
    }

    private static void ValidateReplication(ReplicationDefinition? replication, string at, IReadOnlyList<NodeDefinition> nodes, List<string> problems)
    {
        if (replication is null) return;
        var names = replication.Nodes ?? [];
        if (names.Count == 0) problems.Add($"{at}.nodes: list at least one node that keeps a copy (or leave 'replication' out)");
        Duplicates(names, $"{at}.nodes", "node", problems);
        for (var i = 0; i < names.Count; i++)
            if (!nodes.Any(n => n.Name == names[i]))
                problems.Add($"{at}.nodes[{i}]: '{names[i]}' is not a node of this inventory (known: {string.Join(", ", nodes.Select(n => n.Name))})");
    }

    private static void Duplicates(IEnumerable<string?> values, string at, string what, List<string> problems)
    {
        foreach (var group in values.Where(v => v is not null).GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"{at}: duplicate {what} '{group.Key}' ({group.Count()} times)");
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,62}\z")] private static partial Regex IdRegex();
    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,62}\z")] private static partial Regex MachineRegex();
}
