using System.Text.Json.Nodes;
using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Lab;
using Elsa.Migration.Activities.Qemu;
using Elsa.Migration.Activities.Tests.Lab;
using Elsa.Migration.Engine.Json;
using Elsa.Migration.Engine.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Elsa.Migration.Activities.Tests.Replication;

/// <summary>
/// A lab of two or three nodes (real zfs-fuse pools, real QEMU under TCG, the real runtime) for the replication and
/// offline-migration procedures: runs any shipped workflow with any inputs (migrations in either direction) and reads
/// the bytes each replication leg carried from the journal.
/// </summary>
internal sealed class ReplicationLab(MigrationLab lab, ITestOutputHelper output) : IAsyncDisposable
{
    public const string A = "lab-a", B = "lab-b", C = "lab-c";
    public const string VmId = "vm1";

    public MigrationLab Migration { get; } = lab;
    public LabEnvironment Lab => Migration.Lab;

    public static Task<ReplicationLab> CreateAsync(ITestOutputHelper output, CancellationToken ct, params string[] nodes) =>
        CreateAsync(output, null, ct, nodes);

    /// <summary>A lab whose nodes are edited by <c>configureNode</c>, e.g. an ssh transport to a loopback sshd.</summary>
    public static async Task<ReplicationLab> CreateAsync(ITestOutputHelper output, Func<NodeDefinition, NodeDefinition>? configureNode, CancellationToken ct,
        params string[] nodes)
    {
        TestTools.Require("qemu-system-x86_64", "qemu-img", "zfs-fuse", "zfs", "zpool");
        var lab = await MigrationLab.CreateAsync(new MigrationLabOptions { Lab = new LabOptions { NodeNames = nodes, ConfigureNode = configureNode } }, ct);
        return new ReplicationLab(lab, output);
    }

    /// <summary>The VM's disks on lab-a with random content (replicated ones also fully sent to lab-b as <c>repl-0</c>, like an
    /// earlier replication job), and its replication list.</summary>
    public async Task CreateVmAsync(IReadOnlyList<string> replicationNodes, CancellationToken ct, params (DiskKind Kind, long Size)[] disks)
    {
        await Migration.CreateVmAsync(VmId, disks, ct);
        await Lab.AddVmAsync(Lab.Inventory.GetVm(VmId) with { Replication = new ReplicationDefinition { Nodes = replicationNodes } }, ct);
    }

    public ResolvedDisk Disk(int index, string node) => Migration.Disk(VmId, index, node);

    /// <summary>Runs a shipped workflow with the lab's inventory and VM plus <paramref name="inputs"/>, to its end; echoes the journal.</summary>
    public async Task<(WorkflowStatus Status, IReadOnlyList<JournalEntry> Journal, string InstanceId)> RunAsync(string workflowFile,
        CancellationToken ct, params (string Name, JsonNode? Value)[] inputs)
    {
        var json = File.ReadAllText(MigrationLab.FindRepositoryFile($"workflows/{workflowFile}"));
        var definition = Migration.Services.GetRequiredService<IWorkflowDefinitionLoader>().Load(json);
        var all = new Dictionary<string, JsonNode?> { ["VmId"] = VmId, ["Site"] = MigrationLab.SiteName };
        foreach (var (name, value) in inputs) all[name] = value;
        var id = await Migration.Runtime.StartAsync(definition, all, cancellationToken: ct);
        var status = await Migration.Runtime.WaitForEndAsync(id, ct);
        var journal = await Migration.JournalAsync(id, ct);
        output.WriteLine($"--- {workflowFile} {string.Join(' ', all.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"))}: {status}");
        foreach (var e in journal.Where(e => e.Kind != JournalKind.Progress)) output.WriteLine(e.ToString());
        return (status, journal, id);
    }

    /// <summary>A replication run from <paramref name="source"/>.</summary>
    public Task<(WorkflowStatus Status, IReadOnlyList<JournalEntry> Journal, string InstanceId)> ReplicateAsync(string source, CancellationToken ct, bool fullSendIfNoBase = false) =>
        RunAsync("replicate.json", ct, ("SourceNode", source), ("FullSendIfNoBase", fullSendIfNoBase));

    /// <summary>A live migration with the shipped procedure.</summary>
    public Task<(WorkflowStatus Status, IReadOnlyList<JournalEntry> Journal, string InstanceId)> LiveMigrateAsync(string source, string target, CancellationToken ct) =>
        RunAsync("live-migrate.json", ct, ("SourceNode", source), ("TargetNode", target));

    /// <summary>The procedure ran through to its end without a fault and without Rollback (a rolled-back migration also ends Finished).</summary>
    public static void AssertCompleted((WorkflowStatus Status, IReadOnlyList<JournalEntry> Journal, string InstanceId) run)
    {
        Assert.Equal(WorkflowStatus.Finished, run.Status);
        Assert.DoesNotContain(run.Journal, e => e.Kind == JournalKind.ActivityFaulted);
        Assert.DoesNotContain(run.Journal, e => e.ActivityId == "rollback" && e.Kind == JournalKind.ActivityStarted);
    }

    /// <summary>The journal entry of one replication leg (disk to target): bytes, base, ms.</summary>
    public static (long Bytes, string? From, double Ms) Leg(IReadOnlyList<JournalEntry> journal, string disk, string target)
    {
        var entry = journal.Single(e => e.Kind == JournalKind.Message && e.Data?["target"]?.GetValue<string>() == target &&
                                        e.Data?["disk"]?.GetValue<string>() == disk && e.Data?["bytes"] is not null);
        return (entry.Data!["bytes"]!.GetValue<long>(), entry.Data["incrementalFrom"]?.GetValue<string>(), entry.Data["ms"]!.GetValue<double>());
    }

    /// <summary>Writes <paramref name="count"/> MiB of a pattern, 1 MiB-aligned from <paramref name="offsetMiB"/>, through the VM's QEMU on <paramref name="node"/> (what the guest changed).</summary>
    public async Task WriteThroughQemuAsync(string node, long offsetMiB, int count, byte pattern, CancellationToken ct)
    {
        var session = await Migration.SessionAsync(VmId, node, ct);
        for (var i = 0; i < count; i++)
            await BlockLayerWriter.WriteAsync(session.Client, "drive0", (offsetMiB + i) << 20, 1 << 20, pattern, ct);
        await session.Client.HumanMonitorCommandAsync("qemu-io drive0 flush", ct);
    }

    /// <summary>Writes 64 KiB of <paramref name="pattern"/> at <paramref name="offset"/> of a disk file (a stopped VM's disk), flushed.</summary>
    public async Task WriteFileAsync(string path, long offset, byte pattern, CancellationToken ct)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        await fs.WriteAsync(Enumerable.Repeat(pattern, 64 * 1024).ToArray(), ct);
        await fs.FlushAsync(ct);
    }

    /// <summary><c>qemu-img compare</c> of the VM's disk on two nodes, echoed.</summary>
    public async Task<ImageComparison> CompareAsync(int disk, string nodeA, string nodeB, CancellationToken ct)
    {
        var result = await Migration.CompareAsync(Disk(disk, nodeA).Path, Disk(disk, nodeB).Path, ct);
        output.WriteLine($"compare drive{disk} {nodeA} vs {nodeB}: {(result.Identical ? "identical" : "DIFFERENT")} {result.Output}");
        return result;
    }

    public Task<IReadOnlyList<string>> SnapshotsAsync(string node, int disk, CancellationToken ct) => Migration.SnapshotsAsync(node, Disk(disk, node).Dataset!, ct);

    public ValueTask DisposeAsync() => Migration.DisposeAsync();
}
